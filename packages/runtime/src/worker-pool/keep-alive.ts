/*
 * Idle workers must not keep a finished program alive, so their handles never hold the event
 * loop open (spawn/handle.ts `keepAlive(false)`). While any call waits for a worker, this one
 * timer holds it open instead: an effection operation waiting on a callback holds nothing by
 * itself. One timer for the whole process costs a flag flip per call, where re-referencing each
 * worker's process and socket would cost a native call each.
 */
let holders = 0;
let timer: NodeJS.Timeout | undefined;

/** Keep the event loop alive until as many `releaseEventLoop` calls. */
export function holdEventLoop(): void {
  if (holders++ === 0) {
    timer ??= setInterval(() => {}, 2 ** 31 - 1);
    timer.ref();
  }
}

export function releaseEventLoop(): void {
  if (--holders === 0) timer!.unref();
}
