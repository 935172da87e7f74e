// Imported by @harrow/runtime's boot.cjs before TypeScript support is registered, so that the
// transport's JavaScript dependencies load without tsx's per-module hooks. Resolved from here,
// they get exactly the URLs the transport's own imports get, so nothing is loaded twice.
import 'msgpackr';
