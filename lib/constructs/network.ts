import { Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /** VPC CIDR, e.g. `10.30.0.0/16`. */
  readonly cidr: string;
  /** Named AZs: synth must not look them up. */
  readonly availabilityZones: readonly string[];
  /** NAT gateways, each with its own Elastic IP. */
  readonly natGateways: number;
  /** Retention of the VPC flow log group. */
  readonly flowLogRetention: logs.RetentionDays;
}

/**
 * The VPC of one stage: public subnets for the ALB and NAT, private subnets with egress for the
 * ECS tasks and Lambdas, isolated subnets for RDS. NAT uses Elastic IPs that we create, so the
 * egress IPs are known and stable: brokers and SEBI want a registered static IP.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Elastic IPs of the NAT gateways: the static egress IPs to register with the broker. */
  readonly egressIps: readonly ec2.CfnEIP[];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    this.egressIps = Array.from({ length: props.natGateways }, (_, i) => {
      const eip = new ec2.CfnEIP(this, `NatEip${i + 1}`, { domain: 'vpc' });
      // Losing a registered IP means re-registering with the broker: keep it on stack deletion.
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return eip;
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: props.natGateways,
      natGatewayProvider: ec2.NatProvider.gateway({
        eipAllocationIds: this.egressIps.map((eip) => eip.attrAllocationId),
      }),
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
    });
    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'AZs are named in the stage config on purpose: synth must never look them up.',
    });

    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', {
          retention: props.flowLogRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    // The trading path must not depend on the NAT for AWS APIs it needs to halt.
    this.vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const interfaceEndpoints: Array<[string, ec2.InterfaceVpcEndpointAwsService]> = [
      ['SsmEndpoint', ec2.InterfaceVpcEndpointAwsService.SSM],
      ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR],
      ['EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ];
    // One group for all interface endpoints: HTTPS from inside the VPC only. The CIDR is a
    // literal (not the VPC's CidrBlock attribute) so that it can be checked at synth.
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(
      ec2.Peer.ipv4(props.cidr),
      ec2.Port.tcp(443),
      'HTTPS from the VPC',
    );
    for (const [endpointId, service] of interfaceEndpoints) {
      this.vpc.addInterfaceEndpoint(endpointId, {
        service,
        privateDnsEnabled: true,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [endpointSecurityGroup],
        open: false,
      });
    }
  }

  /** The egress IPs as one comma-separated string (a CloudFormation token). */
  egressIpList(): string {
    return Fn.join(
      ',',
      this.egressIps.map((eip) => eip.attrPublicIp),
    );
  }
}
