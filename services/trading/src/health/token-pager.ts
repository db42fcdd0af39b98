import type { Logger } from 'pino';
import type { Notifier } from '../../../ops/platform/ports';

export interface TokenPagerOptions {
  readonly stage: string;
  readonly taskId: string;
  /** The broker whose token problem pages (`Broker.tokenProblem`). */
  readonly broker: { readonly name: string; tokenProblem?(): string | undefined };
  /** The stored token the task uses (`tradeops token login --name`). */
  readonly tokenName: string;
  /** The ops notifier (SNS in AWS, the local stack's notifications file): same topics, same format. */
  readonly notifier: Pick<Notifier, 'publish'>;
  readonly log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Publish attempts per incident. @default 5 */
  readonly attempts?: number;
  /** First retry delay, doubled per attempt. @default 200 */
  readonly backoffMs?: number;
  readonly now?: () => number;
}

/** One refusal of the token: from the first refused call to the first accepted one. */
interface Incident {
  readonly problem: string;
  readonly since: number;
}

/**
 * Pages P1 itself, once per incident, when the broker starts refusing the access token: the
 * CloudWatch alarm on the token gauge (a 60 s metric) stays as the backstop, too slow alone for
 * "page within 2 s of the first refusal". The page carries the broker's own words and the login
 * command that ends the incident. It never blocks the halt: the state machine halts on
 * `tokenProblem` whatever the publish does, and a failed publish is retried with backoff.
 */
export class BrokerTokenPager {
  private incident?: Incident;
  private timer?: NodeJS.Timeout;
  /** Pages sent (one per incident, whatever its retries). */
  pages = 0;

  constructor(private readonly options: TokenPagerOptions) {}

  /** Watches every `everyMs` until `stop`. */
  start(everyMs = 100): void {
    this.timer ??= setInterval(() => this.watch(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the broker's token problem; call it often (`start` does, every 100 ms). */
  watch(): void {
    const problem = this.options.broker.tokenProblem?.();
    if (problem === undefined) {
      if (this.incident)
        this.options.log.info(
          { since: new Date(this.incident.since).toISOString() },
          'broker accepts the access token again: the token incident is over',
        );
      this.incident = undefined;
      return;
    }
    if (this.incident) return;
    const incident = { problem, since: (this.options.now ?? Date.now)() };
    this.incident = incident;
    void this.page(incident);
  }

  /** The login command that ends the incident. */
  loginCommand(): string {
    const { stage, broker, tokenName } = this.options;
    return `tradeops token login ${stage} --broker ${broker.name} --name ${tokenName}`;
  }

  private async page(incident: Incident): Promise<void> {
    const { stage, taskId, notifier, log } = this.options;
    const subject = `[P1] broker token invalid on ${stage}: trading HALTED`;
    const message = [
      `The ${this.options.broker.name} broker refused access token ${this.options.tokenName}; trading is HALTED (cause "broker token invalid") until a new login.`,
      `Broker's words: ${incident.problem}`,
      `First refusal: ${new Date(incident.since).toISOString()} (task ${taskId})`,
      `Run: ${this.loginCommand()}`,
      'Runbook: docs/RUNBOOK.md#broker-token-invalid-what-to-do',
    ].join('\n');
    const attempts = this.options.attempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await notifier.publish('page', subject, message);
        this.pages += 1;
        log.warn({ problem: incident.problem }, 'paged P1: broker token invalid');
        return;
      } catch (err) {
        if (attempt >= attempts || this.incident !== incident) {
          log.error(
            { err, attempts: attempt },
            'paging the broker token failure failed; the broker-token-invalid alarm is the backstop',
          );
          return;
        }
        await new Promise((r) =>
          setTimeout(r, (this.options.backoffMs ?? 200) * 2 ** (attempt - 1)),
        );
      }
    }
  }
}
