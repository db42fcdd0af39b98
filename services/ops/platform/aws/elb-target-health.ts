import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TargetHealthSource } from '../ports';

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
