import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier, Topic } from '../ports';

/** The page and notify topics. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topics: Record<Topic, string>,
  ) {}

  async publish(topic: Topic, subject: string, message: string): Promise<void> {
    // SNS subjects: at most 100 characters, no line breaks.
    const clean = subject.replace(/[\r\n]+/g, ' ').slice(0, 100);
    await this.sns.send(
      new PublishCommand({ TopicArn: this.topics[topic], Subject: clean, Message: message }),
    );
  }
}
