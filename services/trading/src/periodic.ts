import type { Logger } from 'pino';

/**
 * The service's periodic tasks. A run that is still going when its next tick comes is not
 * started twice (a slow database must not pile up queries); a run that fails is logged and the
 * next tick tries again.
 */
export class PeriodicTasks {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly log: Logger) {}

  /** Runs `fn` every `ms` until `stop`. */
  every(ms: number, fn: () => Promise<void> | void): void {
    let busy = false;
    this.timers.push(
      setInterval(() => {
        if (busy) return;
        busy = true;
        Promise.resolve()
          .then(fn)
          .catch((err: unknown) => this.log.error({ err }, 'periodic task failed'))
          .finally(() => {
            busy = false;
          });
      }, ms),
    );
  }

  /** No new runs start; runs in progress finish on their own. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }
}
