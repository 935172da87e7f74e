// Part of a package's build (run from the package's directory): tsc compiles src/**/*.ts into
// dist/, and this copies the plain JavaScript modules of src/ (the boot files, which run before
// any loader exists) beside them, byte for byte.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

for (let file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
  if (!/\.[cm]js$/.test(file)) continue;
  cpSync(join('src', file), join('dist', file));
  console.log(`copied src/${file} to dist/${dirname(file) === '.' ? '' : `${dirname(file)}/`}`);
}
