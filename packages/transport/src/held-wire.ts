import type { Wire, WireEvents } from './wire.ts';

/**
 * A wire handed on mid-stream, after its first bytes were consumed (by the handshake): it
 * receives the wire's events from then on and keeps them, with the bytes left over, until its
 * new owner attaches; then it replays them in order and passes the rest straight through. The
 * underlying wire is paused while nobody owns it, so what is kept is bounded by what was
 * already in flight.
 */
export class HeldWire implements WireEvents {
  /** The wire to hand to the new owner. */
  readonly wire: Wire;
  private kept: { [K in keyof WireEvents]: [K, ...Parameters<WireEvents[K]>] }[keyof WireEvents][] = [];
  private owner: WireEvents | undefined;
  private ownerPaused = false;
  private destroyed = false;

  constructor(private inner: Wire, leftover: Uint8Array | undefined) {
    inner.pause();
    if (leftover && leftover.length > 0) this.kept.push(['data', leftover]);
    this.wire = {
      peer: inner.peer,
      attach: (events) => this.attach(events),
      write: (bytes) => inner.write(bytes),
      pause: () => {
        this.ownerPaused = true;
        inner.pause();
      },
      resume: () => {
        this.ownerPaused = false;
        if (this.owner) inner.resume();
      },
      end: (then) => inner.end(then),
      destroy: () => {
        this.destroyed = true;
        inner.destroy();
      },
    };
  }

  data(chunk: Uint8Array): void {
    if (this.owner) this.owner.data(chunk);
    else this.kept.push(['data', chunk]);
  }

  drain(): void {
    if (this.owner) this.owner.drain();
    else this.kept.push(['drain']);
  }

  end(): void {
    if (this.owner) this.owner.end();
    else this.kept.push(['end']);
  }

  error(error: Error): void {
    if (this.owner) this.owner.error(error);
    else this.kept.push(['error', error]);
  }

  close(): void {
    if (this.owner) this.owner.close();
    else this.kept.push(['close']);
  }

  private attach(events: WireEvents): void {
    if (this.owner) throw new Error(`the wire to ${this.inner.peer} is already attached`);
    for (let next = this.kept.shift(); next; next = this.kept.shift()) {
      if (this.destroyed) {
        this.kept = [];
        break;
      }
      let [name, ...args] = next;
      (events[name] as (...args: unknown[]) => void)(...args);
    }
    // Owned only now, so that nothing that arrives during the replay overtakes it.
    this.owner = events;
    if (!this.ownerPaused && !this.destroyed) this.inner.resume();
  }
}
