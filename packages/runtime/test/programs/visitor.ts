// A separate program that joins a running tree's registry (argv[2]) and calls its daemon 'db'
// by name; with 'stay', it then waits to be killed.
import { main, suspend } from 'effection';
import { findActor, openRoot } from '../../src/index.ts';
import { noteCall } from '../fixtures/discovery.ts';

await main(function* () {
  yield* openRoot({ name: 'visitor', registry: process.argv[2] });
  let db = yield* findActor('db');
  if (!db) throw new Error('no actor named db');
  console.log(`found ${db.actor.name} ${db.actor.uid}`);
  console.log(`noted ${yield* db.run(noteCall)}`);
  if (process.argv[3] === 'stay') {
    console.log('staying');
    yield* suspend();
  }
});
