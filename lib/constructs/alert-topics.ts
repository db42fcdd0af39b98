import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertTopicsProps {
  /** `algo-trading-<stage>-page`: P1 and P2. */
  readonly pageTopicName: string;
  /** `algo-trading-<stage>-notify`: P3, P4 and reports. */
  readonly notifyTopicName: string;
  /** Subscribed to both topics. */
  readonly emails: readonly string[];
  /** `algo-trading-<stage>`: the alarms that may publish. */
  readonly alarmPrefix: string;
  /** HTTPS webhooks (paging service, chat), subscribed to both topics. */
  readonly httpsEndpoints: readonly string[];
}

/**
 * The two SNS topics of the operator contract, encrypted with their own KMS key that CloudWatch
 * alarms, EventBridge and Scheduler may use to publish.
 */
export class AlertTopics extends Construct {
  readonly page: sns.Topic;
  readonly notify: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: `${props.pageTopicName} and ${props.notifyTopicName} encryption`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Alarms and events publish as AWS services; they need the key to encrypt the message.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AwsServicesPublishToTopics',
        principals: [
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
          new iam.ServicePrincipal('events.amazonaws.com'),
          new iam.ServicePrincipal('events.rds.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    const topic = (topicId: string, topicName: string) => {
      const t = new sns.Topic(this, topicId, {
        topicName,
        displayName: topicName,
        masterKey: this.key,
        enforceSSL: true,
      });
      // A topic policy (enforceSSL makes one) replaces SNS's default: the alarms of this account,
      // and no other, must be allowed to publish explicitly.
      const stack = Stack.of(this);
      t.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [t.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${props.alarmPrefix}-*`,
            },
          },
        }),
      );
      // RDS event subscriptions (failover, failure, low storage) publish as RDS, from this account.
      t.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'RdsEventsPublish',
          principals: [new iam.ServicePrincipal('events.rds.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [t.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
      for (const email of props.emails)
        t.addSubscription(new subscriptions.EmailSubscription(email));
      for (const url of props.httpsEndpoints)
        t.addSubscription(new subscriptions.UrlSubscription(url));
      return t;
    };
    this.page = topic('PageTopic', props.pageTopicName);
    this.notify = topic('NotifyTopic', props.notifyTopicName);
  }
}
