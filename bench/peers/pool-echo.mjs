// The task of the pool figures (piscina, tinypool): give back the argument. Plain JavaScript, so
// that a pool's worker thread or process can load it without TypeScript support.
export default function echo(value) {
  return value;
}
