import type { Readable } from 'node:stream';
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
} from '@aws-sdk/client-cloudwatch';
import { type CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { Upload } from '@aws-sdk/lib-storage';
import type {
  AlarmSource,
  AlarmState,
  Fleet,
  LogLine,
  LogSource,
  Notifier,
  ObjectStore,
  ServiceDescription,
  TargetHealthSource,
  TaskDefinitionRevision,
  TaskEndpoint,
  Topic,
} from '../ports';

/** The ECS services of one cluster. Task endpoints are the tasks' private IPs (awsvpc). */
export class EcsFleet implements Fleet {
  constructor(
    private readonly ecs: ECSClient,
    private readonly cluster: string,
    private readonly port: number,
  ) {}

  async describe(service: string): Promise<ServiceDescription> {
    const s = await this.service(service);
    const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
    const rollout = primary?.rolloutState;
    return {
      name: s.serviceName ?? service,
      desiredCount: s.desiredCount ?? 0,
      runningCount: s.runningCount ?? 0,
      pendingCount: s.pendingCount ?? 0,
      rolloutState:
        rollout === 'FAILED'
          ? 'FAILED'
          : (s.deployments?.length ?? 0) === 1 &&
              rollout !== 'IN_PROGRESS' &&
              s.runningCount === s.desiredCount
            ? 'COMPLETED'
            : 'IN_PROGRESS',
      taskDefinition: s.taskDefinition,
      events: (s.events ?? [])
        .slice(0, 10)
        .map((e) => ({ at: e.createdAt?.toISOString() ?? '', message: e.message ?? '' })),
    };
  }

  async tasks(service: string): Promise<TaskEndpoint[]> {
    const list = await this.ecs.send(
      new ListTasksCommand({
        cluster: this.cluster,
        serviceName: service,
        desiredStatus: 'RUNNING',
      }),
    );
    if (!list.taskArns?.length) return [];
    const described = await this.ecs.send(
      new DescribeTasksCommand({ cluster: this.cluster, tasks: list.taskArns }),
    );
    return (described.tasks ?? [])
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => {
        const ip = t.attachments
          ?.flatMap((a) => a.details ?? [])
          .find((d) => d.name === 'privateIPv4Address')?.value;
        return {
          taskId: t.taskArn?.split('/').at(-1) ?? '',
          url: `http://${ip}:${this.port}`,
          startedAt: t.startedAt?.toISOString(),
          status: t.lastStatus ?? '',
        };
      })
      .filter((t) => !t.url.includes('undefined'));
  }

  async setDesiredCount(service: string, count: number): Promise<void> {
    await this.ecs.send(
      new UpdateServiceCommand({ cluster: this.cluster, service, desiredCount: count }),
    );
  }

  async forceNewDeployment(service: string): Promise<void> {
    await this.ecs.send(
      new UpdateServiceCommand({ cluster: this.cluster, service, forceNewDeployment: true }),
    );
  }

  async revisions(service: string): Promise<TaskDefinitionRevision[]> {
    const current = (await this.service(service)).taskDefinition ?? '';
    const family = /task-definition\/([^:]+):\d+$/.exec(current)?.[1];
    if (!family) throw new Error(`ECS service ${service} runs no task definition (${current})`);
    const list = async (status: 'ACTIVE' | 'INACTIVE') => {
      const out = await this.ecs.send(
        new ListTaskDefinitionsCommand({
          familyPrefix: family,
          status,
          sort: 'DESC',
          maxResults: 100,
        }),
      );
      return (out.taskDefinitionArns ?? []).flatMap((arn) => {
        const m = /task-definition\/([^:]+):(\d+)$/.exec(arn);
        // familyPrefix is a prefix: another family may start with this one's name.
        return m?.[1] === family ? [{ arn, revision: Number(m[2]), status }] : [];
      });
    };
    const [active, inactive] = await Promise.all([list('ACTIVE'), list('INACTIVE')]);
    return [...active, ...inactive].sort((a, b) => b.revision - a.revision);
  }

  async deployRevision(service: string, taskDefinitionArn: string): Promise<void> {
    await this.ecs.send(
      new UpdateServiceCommand({
        cluster: this.cluster,
        service,
        taskDefinition: taskDefinitionArn,
      }),
    );
  }

  async tags(service: string): Promise<Record<string, string>> {
    const arn = (await this.service(service)).serviceArn;
    const out = await this.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    return Object.fromEntries((out.tags ?? []).map((t) => [t.key ?? '', t.value ?? '']));
  }

  async tag(service: string, tags: Record<string, string>): Promise<void> {
    const arn = (await this.service(service)).serviceArn;
    await this.ecs.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      }),
    );
  }

  async untag(service: string, keys: readonly string[]): Promise<void> {
    const arn = (await this.service(service)).serviceArn;
    await this.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [...keys] }));
  }

  private async service(service: string) {
    const out = await this.ecs.send(
      new DescribeServicesCommand({ cluster: this.cluster, services: [service] }),
    );
    const s = out.services?.[0];
    if (!s) {
      const why = out.failures?.[0]?.reason ?? 'not found';
      throw new Error(`ECS service ${service} in ${this.cluster}: ${why}`);
    }
    return s;
  }
}

/** The stage's data bucket. Uploads are multipart: an interrupted one leaves no object. */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {
    this.location = `s3://${bucket}`;
  }

  async put(key: string, body: string | Buffer, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async upload(key: string, body: Readable, contentType: string): Promise<{ bytes: number }> {
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      // An error aborts the multipart upload: no partial object under the key.
      leavePartsOnError: false,
    });
    await upload.done();
    return { bytes };
  }

  async get(key: string): Promise<Buffer | undefined> {
    const out = await this.getObject(key);
    if (!out) return undefined;
    return Buffer.from(
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }

  async download(key: string): Promise<Readable | undefined> {
    // In Node.js the SDK's body is a Readable (an IncomingMessage with helpers mixed in).
    return (await this.getObject(key))?.Body as Readable | undefined;
  }

  private async getObject(key: string) {
    try {
      return await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  }
}

/** The dashboard's targets as its load balancer sees them, by the target group's fixed name. */
export class ElbTargetHealth implements TargetHealthSource {
  constructor(
    private readonly elb: ElasticLoadBalancingV2Client,
    private readonly targetGroupName: string,
  ) {}

  async targets() {
    const groups = await this.elb.send(
      new DescribeTargetGroupsCommand({ Names: [this.targetGroupName] }),
    );
    const arn = groups.TargetGroups?.[0]?.TargetGroupArn;
    if (!arn) throw new Error(`target group ${this.targetGroupName} does not exist`);
    const health = await this.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    return (health.TargetHealthDescriptions ?? []).map((d) => ({
      target: `${d.Target?.Id ?? '?'}:${d.Target?.Port ?? '?'}`,
      state: d.TargetHealth?.State ?? 'unknown',
      reason: d.TargetHealth?.Description,
    }));
  }
}

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

/** The services' log group. */
export class CloudWatchLogSource implements LogSource {
  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroup: string,
  ) {}

  async lines(options: { sinceMs: number; pattern?: string; limit: number }): Promise<LogLine[]> {
    const out: LogLine[] = [];
    let token: string | undefined;
    do {
      const page = await this.logs.send(
        new FilterLogEventsCommand({
          logGroupName: this.logGroup,
          startTime: options.sinceMs,
          filterPattern: options.pattern ? JSON.stringify(options.pattern) : undefined,
          nextToken: token,
          limit: Math.min(10_000, options.limit),
        }),
      );
      for (const e of page.events ?? [])
        out.push({
          timestamp: e.timestamp ?? 0,
          stream: e.logStreamName ?? '',
          message: e.message ?? '',
        });
      token = page.nextToken;
    } while (token && out.length < options.limit);
    return out.slice(-options.limit);
  }
}

/** The stage's alarms (those whose names start with the stage prefix). */
export class CloudWatchAlarmSource implements AlarmSource {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly prefix: string,
  ) {}

  async inAlarm(): Promise<AlarmState[]> {
    const out: AlarmState[] = [];
    let token: string | undefined;
    do {
      const page = await this.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: this.prefix,
          StateValue: 'ALARM',
          // Without it only metric alarms come back: safe-to-trade is a composite.
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          NextToken: token,
        }),
      );
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        out.push({
          name: a.AlarmName ?? '',
          state: 'ALARM',
          reason: a.StateReason ?? '',
          updatedAt: a.StateUpdatedTimestamp?.toISOString() ?? '',
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  async alarmedSince(
    sinceMs: number,
  ): Promise<Array<{ name: string; at: string; reason: string }>> {
    const out: Array<{ name: string; at: string; reason: string }> = [];
    let token: string | undefined;
    do {
      const page = await this.cloudwatch.send(
        new DescribeAlarmHistoryCommand({
          StartDate: new Date(sinceMs),
          EndDate: new Date(),
          HistoryItemType: 'StateUpdate',
          NextToken: token,
        }),
      );
      for (const h of page.AlarmHistoryItems ?? []) {
        if (!h.AlarmName?.startsWith(this.prefix) || !/to ALARM/.test(h.HistorySummary ?? ''))
          continue;
        out.push({
          name: h.AlarmName,
          at: h.Timestamp?.toISOString() ?? '',
          reason: h.HistorySummary ?? '',
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }
}
