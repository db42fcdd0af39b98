import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier, Topic } from '../ports';

/** The page and notify topics (a caller that only pages, the trading task, names the page topic only). */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topics: Partial<Record<Topic, string>>,
  ) {}

  async publish(topic: Topic, subject: string, message: string): Promise<void> {
    const arn = this.topics[topic];
    if (arn === undefined) throw new Error(`no ${topic} topic is configured for this notifier`);
    // SNS subjects: at most 100 characters, no line breaks.
    const clean = subject.replace(/[\r\n]+/g, ' ').slice(0, 100);
    await this.sns.send(new PublishCommand({ TopicArn: arn, Subject: clean, Message: message }));
  }
}
