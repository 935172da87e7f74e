/**
 * The peer side of bench/lib/child.ts, for scripts under bench/peers/: say `ready` on stdout,
 * and exit when stdin closes (the bench stopping, or dying: the pipe closes either way).
 */
export function exitWhenStdinCloses(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

export function sayReady(): void {
  process.stdout.write('ready\n');
}
