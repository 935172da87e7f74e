import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** How often a paused process checks that its parent is still there (its lifeline is not read while paused). */
const PARENT_CHECK_MS = 250;

/**
 * How a paused actor hears that it must go: a paused thread reads none of its own sockets, so
 * while it is paused its debugger thread listens at its "door" (a Unix socket its spawner knows,
 * see the runtime's `knockIfPaused`) and, in a process, checks that its parent is still alive.
 * `teardown` is told why, once per opening.
 */
export class Door {
  private server: Server | undefined;
  private parentCheck: NodeJS.Timeout | undefined;

  /** `path`: the door (none for the root); `watchParent`: a process actor, whose parent can die. */
  constructor(private path: string | undefined, private watchParent: boolean, private teardown: (why: string) => void) {}

  open(): void {
    if (this.path && !this.server) {
      if (existsSync(this.path)) unlinkSync(this.path);
      let server = createServer((socket) => {
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk) => (text += chunk));
        socket.on('end', () => this.teardown(`it is being cancelled: ${reason(text)}`));
        socket.on('error', () => {});
      });
      server.on('error', () => {});
      server.listen(this.path);
      this.server = server;
    }
    if (this.watchParent && !this.parentCheck) {
      let parent = process.ppid;
      this.parentCheck = setInterval(() => {
        if (process.ppid !== parent) this.teardown('its parent is gone');
      }, PARENT_CHECK_MS);
    }
  }

  close(): void {
    clearInterval(this.parentCheck);
    this.parentCheck = undefined;
    this.server?.close();
    this.server = undefined;
  }
}

function reason(text: string): string {
  try {
    let why = (JSON.parse(text) as { why?: unknown }).why;
    if (typeof why === 'string') return why;
  } catch {
    // a knock without a reason is still a cancel
  }
  return 'it is being cancelled';
}
