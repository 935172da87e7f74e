import type { Wire, WireEvents } from './wire.ts';

/** One wire event, with its arguments. */
type Kept = { [K in keyof WireEvents]: [K, ...Parameters<WireEvents[K]>] }[keyof WireEvents];

function deliver(events: WireEvents, [name, ...args]: Kept): void {
  (events[name] as (...args: unknown[]) => void)(...args);
}

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
  private kept: Kept[] = [];
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
    this.relay(['data', chunk]);
  }

  drain(): void {
    this.relay(['drain']);
  }

  end(): void {
    this.relay(['end']);
  }

  error(error: Error): void {
    this.relay(['error', error]);
  }

  close(): void {
    this.relay(['close']);
  }

  /** Pass `event` to the owner, or keep it until there is one. */
  private relay(event: Kept): void {
    if (this.owner) deliver(this.owner, event);
    else this.kept.push(event);
  }

  private attach(events: WireEvents): void {
    if (this.owner) throw new Error(`the wire to ${this.inner.peer} is already attached`);
    for (let next = this.kept.shift(); next; next = this.kept.shift()) {
      if (this.destroyed) {
        this.kept = [];
        break;
      }
      deliver(events, next);
    }
    // Owned only now, so that nothing that arrives during the replay overtakes it.
    this.owner = events;
    if (!this.ownerPaused && !this.destroyed) this.inner.resume();
  }
}
