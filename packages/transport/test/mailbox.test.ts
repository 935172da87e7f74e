import { all, run, sleep, spawn } from 'effection';
import { describe, expect, it } from 'vitest';
import { Mailbox } from '../src/index.ts';

describe('Mailbox', () => {
  it('two readers waiting at once each get an item, the longest waiting first', async () => {
    let got = await run(function* () {
      let mailbox = new Mailbox<string>();
      let first = yield* spawn(() => mailbox.next());
      let second = yield* spawn(() => mailbox.next());
      yield* sleep(1); // both are waiting
      mailbox.push('a');
      mailbox.push('b');
      return [(yield* first).value, (yield* second).value];
    });
    expect(got).toEqual(['a', 'b']);
  });

  it('a held mailbox hands a whole chunk to the waiting readers on release', async () => {
    let got = await run(function* () {
      let mailbox = new Mailbox<number>();
      let readers = [];
      for (let i = 0; i < 3; i++) readers.push(yield* spawn(() => mailbox.next()));
      yield* sleep(1);
      mailbox.hold();
      for (let i = 0; i < 5; i++) mailbox.push(i);
      mailbox.release();
      let values = (yield* all(readers)).map((result) => result.value);
      return [values, mailbox.length];
    });
    expect(got).toEqual([[0, 1, 2], 2]);
  });

  it('end and fail reach every waiting reader', async () => {
    let [ended, failed] = await run(function* () {
      let done = new Mailbox<number, string>();
      let waiting = [yield* spawn(() => done.next()), yield* spawn(() => done.next())];
      yield* sleep(1);
      done.end('bye');
      let ends = yield* all(waiting);
      let broken = new Mailbox<number>();
      let failing = [yield* spawn(() => caught(broken)), yield* spawn(() => caught(broken))];
      yield* sleep(1);
      broken.fail(new Error('gone'));
      return [ends, yield* all(failing)];
    });
    expect(ended).toEqual([{ done: true, value: 'bye' }, { done: true, value: 'bye' }]);
    expect(failed).toEqual(['gone', 'gone']);
  });

  it('a reader halted while waiting gives its turn to the next', async () => {
    let got = await run(function* () {
      let mailbox = new Mailbox<string>();
      let halted = yield* spawn(() => mailbox.next());
      let waiting = yield* spawn(() => mailbox.next());
      yield* sleep(1);
      yield* halted.halt();
      mailbox.push('x');
      return (yield* waiting).value;
    });
    expect(got).toBe('x');
  });
});

function* caught(mailbox: Mailbox<number>) {
  try {
    yield* mailbox.next();
    return 'no error';
  } catch (error) {
    return (error as Error).message;
  }
}
