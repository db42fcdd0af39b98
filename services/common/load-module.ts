/**
 * A module loaded when first needed rather than at start: an SDK client package, or an adapter
 * of ours. `require` rather than `import()`: our files are CommonJS, and esbuild keeps a
 * `require` inside a function lazy in a bundle (and leaves the runtime's SDK packages to the
 * runtime). What a Lambda never uses, its cold start never loads.
 */
export function loadModule<T>(load: () => unknown): Promise<T> {
  return Promise.resolve().then(() => load() as T);
}
