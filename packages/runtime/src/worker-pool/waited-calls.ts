import { interruptCount, onInterrupt } from '../base/interrupts.ts';

/*
 * The runSync calls a halt would wait for: running, without `killOnCancel` (a synchronous call
 * cannot be interrupted from inside its worker). A halt that comes from Ctrl-C (or SIGTERM) leaves
 * the program waiting for them, so the user is told what for; a second signal kills the workers
 * of those whose callers are halted (effection halts a scope's tasks one after another: a call
 * halted later is killed as its halt arrives), and their halts complete at once.
 */

/** A call a halt would wait for. */
export interface WaitedCall {
  /** Its caller has been halted and waits for it. */
  halted: boolean;
  kill(): void;
}

let calls = new Set<WaitedCall>();
let announced = false;

const interrupted = (_signal: string, count: number) => (count >= 2 ? killHalted() : announceSoon());

/**
 * A call starts running and a halt of its caller would wait for it; `kill` ends its worker.
 * From now on this process's interrupts are counted (subscribing again is cheap, and catches a
 * program that began to handle signals since; it changes nothing about what a signal does: see
 * base/interrupts.ts).
 */
export function callStarted(kill: () => void): WaitedCall {
  onInterrupt(interrupted);
  let call = { halted: false, kill };
  calls.add(call);
  return call;
}

/** The call's caller was halted and now waits for it. */
export function callHalted(call: WaitedCall): void {
  call.halted = true;
  if (interruptCount() >= 2) call.kill();
}

/** The call is over: its worker replied, or died. */
export function callEnded(call: WaitedCall): void {
  calls.delete(call);
}

/** Say once, after the halts one signal causes have begun, how many calls the program waits for. */
function announceSoon(): void {
  if (announced) return;
  announced = true;
  setImmediate(() => {
    let count = calls.size;
    if (count === 0) return;
    let what = count === 1 ? '1 runSync call' : `${count} runSync calls`;
    process.stderr.write(`harrow: waiting for ${what} to finish; Ctrl-C again to kill ${count === 1 ? 'it' : 'them'}\n`);
  });
}

function killHalted(): void {
  for (let call of [...calls]) if (call.halted) call.kill();
}
