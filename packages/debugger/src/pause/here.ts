/*
 * Where the debugger stops a thread: the only code of harrow that is not blackboxed, so that
 * these `debugger` statements take effect (V8 ignores one inside a blackboxed script), and
 * the REPL starts from the frame that called into harrow. Keep this module tiny.
 */

/** `breakpoint()` stops here; the REPL shows the caller's frame. */
export function pauseHere(): void {
  debugger;
}

/** Crash mode stops here, with the error in scope as `error` and its `report` for the header. */
export function pauseOnCrash(error: unknown, report: string): void {
  // Both are read by the debugger thread in this frame (`error` by the user, `report` for the
  // header); kept alive here so that V8 does not optimise them away.
  void error;
  void report;
  debugger;
}
