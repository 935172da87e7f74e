/**
 * A streaming service in the spirit of tractor's: a daemon actor publishes a feed to several
 * subscribing actors; inside each subscriber several local tasks share the feed through
 * `stream.broadcast()`, each seeing every message.
 *
 *   npx tsx --conditions=harrow-source examples/streaming-service.ts
 */
import { all, each, main, sleep, spawn, withResolvers } from 'effection';
import { currentActor, isMainModule, openNursery, remote, type Context } from '@harrow/runtime';

/** A subscriber: `readers` local tasks each read the whole feed through one broadcast(). */
export const subscribe = remote(import.meta, function* subscribe(ctx: Context<string, number>, readers: number) {
  yield* ctx.started();
  let feed = yield* ctx.openStream();
  let hub = feed.broadcast();
  let subscribed = 0;
  let ready = withResolvers<void>();
  let tasks = [];
  for (let r = 0; r < readers; r++) {
    tasks.push(
      yield* spawn(function* () {
        let subscription = yield* hub;
        if (++subscribed === readers) ready.resolve();
        let sum = 0;
        for (let next = yield* subscription.next(); !next.done; next = yield* subscription.next()) sum += next.value;
        return sum;
      }),
    );
  }
  yield* ready.operation;
  yield* feed.send('ready');
  let sums = yield* all(tasks);
  return `${currentActor().name}: ${readers} readers summed ${sums.join(', ')}`;
});

/** The daemon: starts the subscribers, publishes `ticks` numbers to all of them, gathers their reports. */
export const publish = remote(import.meta, function* publish(subscribers: number, readers: number, ticks: number) {
  let nursery = yield* openNursery();
  let feeds = [];
  for (let s = 0; s < subscribers; s++) {
    let portal = yield* nursery.startActor(`subscriber-${s + 1}`, { enableModules: [import.meta.url] });
    let { ctx } = yield* portal.openContext(subscribe, readers);
    let stream = yield* ctx.openStream();
    yield* stream.next(); // 'ready': all of its readers are listening
    feeds.push({ ctx, stream });
  }
  for (let tick = 1; tick <= ticks; tick++) {
    for (let feed of feeds) yield* feed.stream.send(tick);
    yield* sleep(1);
  }
  let reports: string[] = [];
  for (let feed of feeds) {
    yield* feed.stream.close();
    reports.push((yield* feed.ctx.result()) as string);
  }
  return reports;
});

if (isMainModule(import.meta)) {
  await main(function* () {
    let nursery = yield* openNursery();
    let service = yield* nursery.startActor('feed', { enableModules: [import.meta.url] });
    let reports = yield* service.run(publish, 3, 4, 20);
    for (let report of reports) console.log(report);
  });
}
