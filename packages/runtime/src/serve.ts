import { TransportError, type Listener } from '@harrow/transport';
import { spawn, type Operation } from 'effection';
import type { Actor } from './actor.ts';
import { ContextDialog } from './context.ts';
import { invoke } from './invoke.ts';
import { Peer } from './peer.ts';
import type { Message } from './protocol.ts';
import { ServedCall, fail, succeed } from './served-call.ts';
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
  if (invocation.kind === 'promise') served.settleWith(invocation.promise);
  else served.runTask(invocation.operation);
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
