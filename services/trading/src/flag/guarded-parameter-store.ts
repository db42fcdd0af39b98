import type { ParameterStore } from '../../../common/parameters/parameter-store';
import type { CircuitBreaker } from '../health/circuit-breaker';

/**
 * `store` with its reads through `breaker`: each read is aborted at the breaker's call timeout
 * (and at the caller's signal, if any), so a store that hangs cannot hold the flag watcher.
 * Writes and history are the operator's and pass straight through.
 */
export function guardedParameterStore(
  store: ParameterStore,
  breaker: CircuitBreaker,
): ParameterStore {
  return {
    kind: store.kind,
    getParameters: (names, signal) =>
      breaker.run((timeout) =>
        store.getParameters(names, signal ? AbortSignal.any([signal, timeout]) : timeout),
      ),
    putParameter: (...args) => store.putParameter(...args),
    history: (...args) => store.history(...args),
  };
}
