/*
 * The "door" of an actor paused in the debugger. A paused thread reads none of its sockets, so
 * a cancel request sent over its channel waits until it runs again; its debugger thread listens
 * at this Unix socket while it is paused, and a spawner that cancels it knocks here too
 * (DESIGN.md "Debugger").
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/** Where a paused actor listens for its spawner's cancel (see `knockIfPaused`). */
export function pauseDoor(treeDir: string, uid: string): string {
  return join(treeDir, `${uid}.paused`);
}

/**
 * Tell the child `uid` that it is being cancelled, and why, if it is paused in the debugger:
 * its debugger thread then closes its REPL with that line and lets it run, so that it takes
 * the cancel request like any actor, within the cancel ladder's time.
 */
export function knockIfPaused(treeDir: string, uid: string, why: string): void {
  let door = pauseDoor(treeDir, uid);
  if (!existsSync(door)) return;
  let socket = connect(door);
  socket.on('error', () => {}); // it resumed meanwhile: nothing to tell
  socket.end(`${JSON.stringify({ why })}\n`);
}
