/**
 * A module loaded when first needed rather than at start: an SDK client package, or an adapter
 * of ours. `require` rather than `import()`: our files are CommonJS, and esbuild keeps a
 * `require` inside a function lazy in a bundle (and leaves the runtime's SDK packages to the
 * runtime). What a Lambda never uses, its cold start never loads.
 */
export function loadModule<T>(load: () => unknown): Promise<T> {
  return Promise.resolve().then(() => load() as T);
}

const deferredLoads: Array<() => unknown> = [];

/**
 * A module required on its first call instead of when the module naming it loads, and
 * registered so that a process whose start is paid ahead of its first request (a Lambda with
 * provisioned concurrency) can require every deferred module at once (`loadDeferredModules`).
 * Calls after the first are free: Node's module cache and esbuild's init wrappers keep the module.
 */
export function deferredModule<T>(load: () => unknown): () => T {
  deferredLoads.push(load);
  return () => load() as T;
}

/** Requires every module registered with `deferredModule` so far. */
export function loadDeferredModules(): void {
  for (const load of deferredLoads) load();
}

/**
 * `load` run once I/O already under way has had a turn of the event loop. A require blocks the
 * loop while it evaluates: started in the same turn as a request, it would hold that request
 * back; after it, the two overlap.
 */
export function afterIo<T>(load: () => T): Promise<T> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(load);
}
