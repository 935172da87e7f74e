/**
 * An idle bare node (started with the bench's execArgv): says `ready`, then answers each `rss`
 * line on stdin with `rss <KiB>` (`process.memoryUsage().rss`). Nothing else is loaded, so this
 * is the floor an idle actor's RSS is compared with.
 */
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  for (let line of text.split('\n')) {
    if (line.trim() === 'rss') process.stdout.write(`rss ${Math.round(process.memoryUsage().rss / 1024)}\n`);
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write('ready\n');
