/// <reference types="node" preserve="true" />
/**
 * @harrow/debugger: `breakpoint()` in any actor, crash (post-mortem) mode, and one REPL in the
 * root's terminal (API.md §8). Importing it installs the debugger in this process or thread.
 */
import { install } from './install.ts';

export { breakpoint } from './breakpoint.ts';
export { DebuggerQuit } from './errors.ts';

install();
