import type { OpsContext, Topic } from '../platform/ports';
import type { StepResult, StepRunner } from './runner';

/** What a notify step publishes. */
export interface Notification {
  readonly subject: string;
  readonly message: string;
}

/**
 * The step that publishes to `topic` (named after it: `notify` or `page`). `compose` runs inside
 * the step, so a message that reports the steps so far sees them as they are when it is sent.
 * Retried by default: a repeated notice is better than a page that never arrives.
 */
export function notifyStep(
  ctx: OpsContext,
  runner: StepRunner,
  topic: Topic,
  compose: () => Notification,
  attempts = 3,
): Promise<StepResult> {
  return runner.run(
    topic,
    async () => {
      const { subject, message } = compose();
      await ctx.notifier.publish(topic, subject, message);
      return `${topic} topic`;
    },
    { retry: { attempts } },
  );
}
