import { TransportError, type Listener } from '@harrow/transport';
import { spawn, type Operation, type Task } from 'effection';
import type { Actor } from './actor.ts';
import { ContextDialog } from './context.ts';
import { box } from './errors.ts';
import { invoke } from './invoke.ts';
import { Peer, type Dialog } from './peer.ts';
import type { DialogMessage, Message } from './protocol.ts';
import { serveStream } from './stream-from.ts';

type CallMessage = Extract<Message, { type: 'call' }>;

/**
 * Serve a call from the other side: check that this actor allows it, run it, answer. The
 * check comes first, so a refused call imports and runs nothing.
 */
export function serveCall(peer: Peer, message: CallMessage): void {
  let fn: Function;
  try {
    fn = peer.actor.resolveRemote(message.module, message.fn);
  } catch (error) {
    fail(peer, message.cid, error);
    return;
  }
  switch (message.kind) {
    case 'run':
      return serveRun(peer, message.cid, fn, message.args);
    case 'stream':
      return serveStream(peer, message.cid, fn, message.args);
    case 'context':
      return serveContext(peer, message.cid, fn, message.args);
  }
}

/** Run a context function with the callee's side of a new context dialog as its first argument. */
function serveContext(peer: Peer, cid: number, fn: Function, args: unknown[]): void {
  let dialog = new ContextDialog(peer, cid, 'callee');
  peer.register(cid, dialog);
  let invocation;
  try {
    invocation = invoke(fn, [dialog.context(), ...args]);
  } catch (error) {
    dialog.finish(false, error);
    return;
  }
  if (invocation.kind === 'value') {
    dialog.finish(true, invocation.value);
  } else if (invocation.kind === 'promise') {
    invocation.promise.then((value) => dialog.finish(true, value), (error) => dialog.finish(false, error));
  } else {
    let operation = invocation.operation;
    dialog.task = peer.actor.calls.run(() => operation);
    dialog.task.then((value) => dialog.finish(true, value), (error) => dialog.finish(false, error));
  }
}

/**
 * Run `fn(...args)` as the dialog `cid` and answer with its outcome; `onDone` is told when the
 * answer has been sent. Used for `portal.run` calls and for a `runInActor` actor's main.
 */
export function serveRun(peer: Peer, cid: number, fn: Function, args: unknown[], onDone?: () => void): void {
  let invocation;
  try {
    invocation = invoke(fn, args);
  } catch (error) {
    fail(peer, cid, error);
    onDone?.();
    return;
  }
  if (invocation.kind === 'value') {
    succeed(peer, cid, invocation.value);
    onDone?.();
    return;
  }
  let served = new ServedCall(peer, cid, onDone);
  peer.register(cid, served);
  if (invocation.kind === 'promise') {
    invocation.promise.then((value) => served.finish(true, value), (error) => served.finish(false, error));
  } else {
    let operation = invocation.operation;
    served.task = peer.actor.calls.run(() => operation);
    served.task.then((value) => served.finish(true, value), (error) => served.finish(false, error));
  }
}

/** The callee's side of a call that did not finish at once: it can be cancelled by the caller. */
class ServedCall implements Dialog {
  task: Task<unknown> | undefined;
  private cancelled = false;
  private finished = false;

  constructor(private peer: Peer, private cid: number, private onDone?: () => void) {}

  receive(message: DialogMessage): void {
    if (message.type === 'cancel') this.cancel();
  }

  /** A call's lifetime is bounded by the connection that made it. */
  broken(): void {
    this.cancel();
  }

  finish(ok: boolean, result: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.peer.unregister(this.cid);
    if (this.cancelled) this.peer.post({ type: 'cancelled', cid: this.cid });
    else if (ok) succeed(this.peer, this.cid, result);
    else fail(this.peer, this.cid, result);
    this.onDone?.();
  }

  private cancel(): void {
    if (this.cancelled || this.finished) return;
    this.cancelled = true;
    // An async function cannot be stopped; its answer is dropped when it comes.
    if (this.task) this.peer.actor.haltCall(this.task);
  }
}

/** Answer with a value; one the codec cannot carry becomes the call's `TypeError` instead. */
export function succeed(peer: Peer, cid: number, value: unknown): void {
  try {
    peer.post({ type: 'return', cid, value });
  } catch (error) {
    fail(peer, cid, error);
  }
}

export function fail(peer: Peer, cid: number, error: unknown): void {
  peer.post({ type: 'error', cid, error: box(error, peer.actor.ref) });
}

/**
 * Serve calls on every connection a listener accepts, each connection for as long as it lasts.
 * A connection's calls are cancelled when it breaks.
 */
export function* serveListener(listener: Listener, actor: Actor): Operation<void> {
  let connections = yield* listener;
  while (true) {
    let next = yield* connections.next();
    if (next.done) return;
    let channel = next.value;
    let peer = new Peer(channel, { actor, parity: 0, serve: serveCall });
    yield* spawn(function* servePeer() {
      let error = yield* peer.run();
      peer.break(error ?? new TransportError(`connection from ${channel.peer} closed`));
    });
  }
}
