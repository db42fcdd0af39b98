import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

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

// Published by Node's http client for every request it creates (the SDK's and pg's alike).
const REQUEST_START = 'http.client.request.start';

/**
 * `load` run once the HTTP requests that `io` starts are on the wire, or once `io` settles,
 * whichever comes first. A require blocks the event loop while it evaluates: run while a request
 * is still resolving its credentials, connecting or being written, it holds that request back;
 * run once the request's bytes are handed to the operating system, it overlaps with the wait for
 * the answer. "On the wire" is the request's `finish` event: every request started since this
 * call has been written (an error or a close counts too, nothing is left to wait for).
 */
export function afterRequestsSent<T>(io: Promise<unknown>, load: () => T): Promise<T> {
  return new Promise<void>((resolve) => {
    let unsent = 0;
    const done = () => {
      diagnostics.unsubscribe(REQUEST_START, onStart);
      resolve();
    };
    function onStart(message: unknown) {
      const { request } = message as { request: ClientRequest };
      unsent += 1;
      let counted = false;
      const sent = () => {
        if (counted) return;
        counted = true;
        unsent -= 1;
        // A turn later: a request started beside this one (the other secret) is written too.
        if (unsent === 0) setImmediate(() => unsent === 0 && done());
      };
      request.once('finish', sent).once('error', sent).once('close', sent);
    }
    diagnostics.subscribe(REQUEST_START, onStart);
    io.then(done, done);
  }).then(load);
}
