/**
 * Thrown by `breakpoint()` when the user leaves the debugger with `q`: it leaves the actor as
 * any error does (the caller sees a `RemoteActorError` whose `type` is `'DebuggerQuit'`).
 *
 * @example
 * ```ts
 * try {
 *   yield* breakpoint();
 * } catch (error) {
 *   if (error instanceof DebuggerQuit) console.log('the user quit');
 *   throw error;
 * }
 * ```
 */
export class DebuggerQuit extends Error {
  override name = 'DebuggerQuit';
  constructor(message = 'the user quit the debugger (q)') {
    super(message);
  }
}
