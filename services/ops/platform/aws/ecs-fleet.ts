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
import type { Fleet, ServiceDescription, TaskDefinitionRevision, TaskEndpoint } from '../ports';

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
