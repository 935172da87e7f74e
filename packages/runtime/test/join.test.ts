import { describe, expect, it } from 'vitest';
import { alive, perTest, startProgram, waitFor } from './helpers.ts';

const hub = new URL('./programs/hub.ts', import.meta.url);
const visitor = new URL('./programs/visitor.ts', import.meta.url);
const cookie = { HARROW_COOKIE: 'join-test-cookie-4f1c' };

describe('joining a running tree by its registry address', () => {
  perTest();

  it('lets a second program call a daemon by name; killing that program harms nothing', async () => {
    let tree = startProgram(hub, [], cookie);
    try {
      let address = (await tree.line(/^registry /)).split(' ')[1]!;
      expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

      let first = startProgram(visitor, [address], cookie);
      expect(await first.exited, first.stderr).toEqual({ code: 0, signal: null });
      expect(first.lines).toContain('noted 1');

      let staying = startProgram(visitor, [address, 'stay'], cookie);
      await staying.line(/^staying$/);
      staying.process.kill('SIGKILL');
      await staying.exited;

      let wrong = startProgram(visitor, [address], { HARROW_COOKIE: 'not-the-cookie' });
      let exit = await wrong.exited;
      expect(exit.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/AuthenticationError|cookie/);
      expect(wrong.lines.some((line) => line.startsWith('noted'))).toBe(false);

      // The tree still serves, and counted exactly the calls that were made: the wrong
      // cookie's never ran.
      let third = startProgram(visitor, [address], cookie);
      expect(await third.exited, third.stderr).toEqual({ code: 0, signal: null });
      expect(third.lines).toContain('noted 3');
    } finally {
      tree.process.kill('SIGTERM');
      await tree.exited;
    }
    let pid = tree.process.pid!;
    await waitFor(() => !alive(pid), 5000, 'the hub to exit');
  }, 60_000);
});
