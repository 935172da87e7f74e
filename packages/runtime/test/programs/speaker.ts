/** Starts one actor that writes to stdout and stderr; log level from argv[2] if given. */
import { main } from 'effection';
import { openNursery } from '../../src/index.ts';
import { speak } from '../fixtures/logging.ts';

await main(function* () {
  let loglevel = process.argv[2];
  let nursery = yield* openNursery({ spare: false });
  let portal = yield* nursery.startActor('speaker', {
    enableModules: [new URL('../fixtures/logging.ts', import.meta.url)],
    ...(loglevel ? { loglevel } : {}),
  });
  yield* portal.run(speak, 'hello');
});
