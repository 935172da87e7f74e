import { MessageChannel, isMainThread, threadId, workerData, type MessagePort } from 'node:worker_threads';
import { portWire, type Wire } from '@harrow/transport';
import { action, type Operation } from 'effection';
import { isChildActor } from '../base/remote.ts';
import { exitRecord, handleOf, type ChildHandle, type Exit, type FollowedProcess } from './handle.ts';
import { startLocalProcess, type ConnectWire, type ProcessOptions } from './local-process.ts';
import { runSshClient, type SshClient, type SshClientSpec } from './ssh-client.ts';
import { stderrTail } from './stderr.ts';

/*
 * Every child process of a process is started by its main thread. A process is reaped by the
 * event loop of the thread that started it, and a worker thread's loop is gone once the thread
 * is terminated: a process started by a thread actor that is then killed would stay a zombie
 * until the whole program ends, and nobody would run its cancel ladder.
 *
 * So the main thread hosts the processes of every worker thread (actors and runSync workers
 * alike, nested threads too): a thread asks over its host port (given to it at start, in
 * `workerData.host`), the main thread spawns the process and relays the bytes of its fd 3 to
 * and from a `MessagePort` of the thread's, where the thread's `Channel` (or pool link) runs as
 * it would over the socket. When a thread dies, its port closes: the relay ends each of its
 * processes' connections (which is a cancel, as a parent's death is), and the main thread runs
 * their ladder, SIGTERM after a second and SIGKILL a second later, and reaps them.
 *
 * The ssh client of an actor on another host is hosted the same way, without a relay: its
 * actor dials back to the thread over TCP, a connection that ends with the thread too.
 */

type Request =
  | { type: 'start'; id: number; options: ProcessOptions; bytes: MessagePort }
  | { type: 'start-ssh'; id: number; spec: SshClientSpec }
  | { type: 'terminate' | 'kill' | 'end'; id: number }
  | { type: 'keep-alive'; id: number; on: boolean }
  /** A new thread of the asking thread: the main thread serves it directly. */
  | { type: 'adopt'; port: MessagePort };

type Reply =
  | { type: 'started'; id: number; pid: number }
  | { type: 'stderr'; id: number; chunk: Uint8Array }
  | { type: 'exit'; id: number; exit: Exit };

/** The ladder of a process whose thread died: SIGTERM this long after its connection ended, SIGKILL as long after that. */
const ORPHAN_LADDER_STEP_MS = 1000;

// ── the main thread: the host ────────────────────────────────────────────────────────────────

/** A process the main thread runs for a thread: an actor's or a worker's (with its channel relayed), or an ssh client (which also has `end`). */
type Hosted = FollowedProcess & { end?(): void };

/** Processes whose thread died, still on their ladder. */
let orphans = new Set<Hosted>();
let orphansGone: (() => void)[] = [];

/** Serve the thread at the other end of `port` (main thread only). */
function hostThread(port: MessagePort): void {
  let children = new Map<number, Hosted>();
  /** Which of them are runSync workers. */
  let workers = new Set<number>();
  let reply = (message: Reply) => port.postMessage(message);
  let host = (id: number, child: Hosted) => {
    children.set(id, child);
    reply({ type: 'started', id, pid: child.pid });
    child.onExit((exit) => {
      children.delete(id);
      workers.delete(id);
      reply({ type: 'exit', id, exit });
    });
  };
  port.on('message', (request: Request) => {
    switch (request.type) {
      case 'start': {
        let { id, options, bytes } = request;
        // In the root process, a thread's process leads a group the sentinel watches, as the
        // root's own children do; in an actor process it stays in the actor's group.
        let group = options.group ?? (isChildActor() ? undefined : 'tree');
        let relayed = (wire: Wire) => {
          relay(wire, portWire(bytes, 'a worker thread'));
          return wire;
        };
        if (group === 'worker') workers.add(id);
        host(id, startLocalProcess({ ...options, group }, relayed, (chunk) => reply({ type: 'stderr', id, chunk })));
        return;
      }
      case 'start-ssh': {
        // As for a process above: in the root, it leads a group of its own (the thread cannot tell).
        let spec = { ...request.spec, group: request.spec.group || !isChildActor() };
        host(request.id, runSshClient(spec, (chunk) => reply({ type: 'stderr', id: request.id, chunk })));
        return;
      }
      case 'terminate':
        children.get(request.id)?.terminate();
        return;
      case 'kill':
        children.get(request.id)?.kill();
        return;
      case 'end':
        children.get(request.id)?.end?.();
        return;
      case 'keep-alive':
        children.get(request.id)?.keepAlive(request.on);
        return;
      case 'adopt':
        hostThread(request.port);
        return;
    }
  });
  port.on('close', () => {
    for (let [id, child] of children) orphan(child, workers.has(id));
  });
  // The thread's own handles keep the program alive while it runs; this port must not.
  port.unref();
}

/**
 * The relay has ended its connection (a cancel): escalate if it does not go. A runSync worker
 * is killed at once instead: a busy one would not notice before its call ends.
 */
function orphan(child: Hosted, worker: boolean): void {
  if (child.exit) return;
  orphans.add(child);
  child.keepAlive(true);
  if (worker) child.kill();
  let timer = setTimeout(() => {
    child.terminate();
    timer = setTimeout(() => child.kill(), ORPHAN_LADDER_STEP_MS);
  }, ORPHAN_LADDER_STEP_MS);
  child.onExit(() => {
    clearTimeout(timer);
    orphans.delete(child);
    if (orphans.size === 0) for (let resolve of orphansGone.splice(0)) resolve();
  });
}

/** Bytes both ways between a process's socket and a thread's port, each side held back while the other is full. */
function relay(socket: Wire, port: Wire): void {
  pass(socket, port);
  pass(port, socket);
}

function pass(from: Wire, to: Wire): void {
  from.attach({
    data(chunk) {
      if (!to.write(chunk)) from.pause();
    },
    // `from` can take more again: let what writes to it go on.
    drain: () => to.resume(),
    end: () => to.end(),
    error: () => to.destroy(),
    close: () => to.end(),
  });
}

/** Wait until every process of a dead thread has exited (the root does, before it goes). */
export function* orphansSettled(): Operation<void> {
  if (orphans.size === 0) return;
  yield* action<void>((resolve) => {
    orphansGone.push(resolve);
    return () => {
      orphansGone = orphansGone.filter((each) => each !== resolve);
    };
  });
}

/** A host port for a new worker thread: served here on the main thread, or by the main thread through ours. */
export function hostPortForThread(): MessagePort {
  let { port1, port2 } = new MessageChannel();
  if (isMainThread) hostThread(port1);
  else ownHost().port.postMessage({ type: 'adopt', port: port1 } satisfies Request, [port1]);
  return port2;
}

// ── a worker thread: asking the host ─────────────────────────────────────────────────────────

interface Asked {
  started(pid: number): void;
  stderr(chunk: Uint8Array): void;
  exited(exit: Exit): void;
}

let host: { port: MessagePort; asked: Map<number, Asked>; held: Set<number>; nextId: number } | undefined;

function ownHost(): NonNullable<typeof host> {
  if (host) return host;
  let port = (workerData as { host?: MessagePort } | null)?.host;
  if (!port) throw new Error(`thread ${threadId} was not started by harrow: it has no main thread to start processes for it`);
  let state = { port, asked: new Map<number, Asked>(), held: new Set<number>(), nextId: 0 };
  port.on('message', (reply: Reply) => {
    let asked = state.asked.get(reply.id);
    if (reply.type === 'started') asked?.started(reply.pid);
    else if (reply.type === 'stderr') asked?.stderr(reply.chunk);
    else asked?.exited(reply.exit);
  });
  port.unref();
  return (host = state);
}

/**
 * Start a process through the main thread (see above): the same handle as a process of our
 * own, its pid known a moment later (-1 until then), its channel over the relayed bytes.
 */
export function startThroughHost<C>(options: ProcessOptions, connect: ConnectWire<C>): ChildHandle<C> {
  let { port1, port2 } = new MessageChannel();
  let hosted = askHost((id) => ({ type: 'start', id, options: { ...options, env: { ...options.env } }, bytes: port2 }), [port2], (on) => {
    if (on) port1.ref();
    else port1.unref();
  });
  return handleOf(hosted, connect(portWire(port1, `actor process (started for thread ${threadId})`)));
}

/** Run the ssh client of an actor on another host through the main thread (see above). */
export function runSshClientThroughHost(spec: SshClientSpec): SshClient {
  return askHost((id) => ({ type: 'start-ssh', id, spec }), [], () => {});
}

/**
 * Ask the main thread to start a process (`start` builds the request for its id) and follow it
 * from here: its pid (-1 until the host has started it), its exit and its stderr tail as the host
 * reports them; terminate, kill, end and keep-alive passed on.
 */
function askHost(start: (id: number) => Request, transfer: MessagePort[], keepOwnAlive: (on: boolean) => void): Required<Hosted> {
  let state = ownHost();
  let id = ++state.nextId;
  let record = exitRecord();
  let tail = stderrTail();
  let pid = -1;
  let post = (request: Request, moved: MessagePort[] = []) => state.port.postMessage(request, moved);
  // While a process is kept alive, so is this thread: its exit must reach us.
  let hold = (on: boolean) => {
    if (on && !record.exit) state.held.add(id);
    else state.held.delete(id);
    if (state.held.size > 0) state.port.ref();
    else state.port.unref();
  };
  state.asked.set(id, {
    started: (started) => (pid = started),
    stderr: (chunk) => tail.add(chunk),
    exited(exit) {
      state.asked.delete(id);
      hold(false);
      record.exited(exit);
    },
  });
  post(start(id), transfer);
  hold(true);
  return {
    get pid() {
      return pid;
    },
    get exit() {
      return record.exit;
    },
    onExit: record.onExit,
    stderrTail: tail.text,
    terminate() {
      if (!record.exit) post({ type: 'terminate', id });
      return true;
    },
    kill() {
      if (!record.exit) post({ type: 'kill', id });
    },
    end() {
      if (!record.exit) post({ type: 'end', id });
    },
    keepAlive(on) {
      keepOwnAlive(on);
      hold(on);
      post({ type: 'keep-alive', id, on });
    },
  };
}
