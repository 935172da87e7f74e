import { Session } from 'node:inspector';

/** An inspector connection to the one thread the debugger thread debugs. */
export interface Target {
  post<T = any>(method: string, params?: object): Promise<T>;
  on(event: string, listener: (params: any) => void): void;
  disconnect(): void;
}

/**
 * Connect to the thread to debug: the process's main thread, or (for a thread actor) the
 * worker thread `threadId`, reached through the main thread's `NodeWorker` domain (a worker's
 * own `connectToMainThread` reaches the process's main thread, never its parent thread).
 * Neither opens an inspector port.
 */
export async function connectTarget(threadId?: number): Promise<Target> {
  let session = new Session();
  session.connectToMainThread();
  let post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
  if (threadId === undefined) {
    return {
      post,
      on: (event, listener) => session.on(event, (message: { params: unknown }) => listener(message.params)),
      disconnect: () => session.disconnect(),
    };
  }
  return workerTarget(session, post, threadId);
}

function workerTarget(session: Session, post: <T>(method: string, params?: object) => Promise<T>, threadId: number): Promise<Target> {
  let listeners = new Map<string, ((params: any) => void)[]>();
  let pending = new Map<number, { resolve(value: any): void; reject(error: Error): void }>();
  let nextId = 1;
  let sessionId: string | undefined;
  return new Promise<Target>((resolve, reject) => {
    session.on('NodeWorker.attachedToWorker', ({ params }: any) => {
      // Only the one thread; a session left attached to another would hold up its exit.
      if (params.workerInfo.title !== `[worker ${threadId}]` || sessionId) {
        void post('NodeWorker.detach', { sessionId: params.sessionId }).catch(() => {});
        return;
      }
      sessionId = params.sessionId as string;
      resolve(target);
    });
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }: any) => {
      if (params.sessionId !== sessionId) return;
      let message = JSON.parse(params.message);
      if (message.id !== undefined) {
        let waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`Inspector error ${message.error.code}: ${message.error.message}`));
        else waiter?.resolve(message.result);
      } else {
        for (let listener of listeners.get(message.method) ?? []) listener(message.params);
      }
    });
    let target: Target = {
      post: (method, params = {}) =>
        new Promise((resolve, reject) => {
          let id = nextId++;
          pending.set(id, { resolve, reject });
          post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
        }),
      on: (event, listener) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
      disconnect: () => session.disconnect(),
    };
    post('NodeWorker.enable', { waitForDebuggerOnStart: false }).then(() => {
      if (!sessionId) reject(new Error(`no worker thread ${threadId} in this process`));
    }, reject);
  });
}
