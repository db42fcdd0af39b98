import { CfnOutput } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { Network } from '../constructs/network';
import { retentionDays } from '../constructs/retention';
import { StageStack, type StageStackProps } from './stage-stack';

export interface NetworkStackProps extends StageStackProps {}

/** The VPC, NAT with static egress IPs, VPC endpoints and flow logs. */
export class NetworkStack extends StageStack {
  readonly vpc: ec2.Vpc;
  /** The NAT gateways' Elastic IPs, comma-separated (a token): the stage's egress IPs. */
  readonly egressIps: string;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;

    const network = new Network(this, 'Network', {
      cidr: config.network.cidr,
      availabilityZones: config.network.availabilityZones,
      natGateways: config.network.natGateways,
      flowLogRetention: retentionDays(config.network.flowLogRetentionDays),
    });
    this.vpc = network.vpc;
    this.egressIps = network.egressIpList();

    new CfnOutput(this, 'EgressIps', {
      description: 'Static egress IPs (NAT Elastic IPs): register these with the broker',
      value: this.egressIps,
      exportName: `algo-trading-${config.stage}-egress-ips`,
    });
  }
}
