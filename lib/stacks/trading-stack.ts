import { CfnOutput, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { NO_FLATTEN_REQUEST } from '../../contract/flatten-request';
import { operatorNames } from '../../contract/names';
import { stageTokenSet } from '../config/stage-config';
import { AlertTopics } from '../constructs/alert-topics';
import { BrokerSecrets } from '../constructs/broker-secrets';
import { retentionDays } from '../constructs/retention';
import type { ServiceImageFactory } from '../constructs/service-images';
import type { TradingDatabase } from '../constructs/trading-database';
import { TradingFargateService } from '../constructs/trading-fargate-service';
import { StageStack, type StageStackProps } from './stage-stack';

export interface TradingStackProps extends StageStackProps {
  readonly vpc: ec2.IVpc;
  /** The data key: encrypts the service log group and the control token. */
  readonly dataKey: kms.IKey;
  readonly database: TradingDatabase;
  /** Container images of the services. */
  readonly images: ServiceImageFactory;
}

/**
 * The IP Angel One's calls name (`X-ClientPublicIP`): the first registered egress IP. Angel One
 * takes a primary and a secondary static IP; with a NAT gateway per AZ both are registered, and a
 * task's calls leave through the NAT of its own AZ, so the packets come from a registered IP
 * whichever it is; the header names the primary (docs/RUNBOOK.md, "Static IP").
 */
function angelOnePublicIp(registered: readonly string[]): string {
  const [primary] = registered;
  if (!primary)
    throw new Error(
      'broker angelone needs the egress IPs registered with Angel One: -c registeredEgressIps=<ip1>,<ip2>',
    );
  return primary;
}

/**
 * Compute: the ECS cluster and its Cloud Map namespace, the shared service log group, the kill
 * flag and the flatten request parameters, the page/notify topics, the control token and the
 * trading service.
 */
export class TradingStack extends StageStack {
  readonly cluster: ecs.Cluster;
  readonly logGroup: logs.LogGroup;
  readonly flag: ssm.StringParameter;
  readonly flattenRequest: ssm.StringParameter;
  readonly topics: AlertTopics;
  readonly controlToken: secretsmanager.Secret;
  /** The secrets of the stage's live broker (its apps and named tokens); none on paper. */
  readonly brokerSecrets?: BrokerSecrets;
  readonly trading: TradingFargateService;

  constructor(scope: Construct, id: string, props: TradingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const names = operatorNames(config.stage);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: names.cluster,
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
      // Callers inside the VPC reach services by name: trading.algo-trading-<stage>.local
      defaultCloudMapNamespace: { name: `${names.prefix}.local`, useForServiceConnect: false },
    });

    this.logGroup = new logs.LogGroup(this, 'ServiceLogs', {
      logGroupName: names.logGroup,
      retention: retentionDays(config.logRetentionDays),
      encryptionKey: props.dataKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Created false: nothing trades until a READY check and an operator enable it. CloudFormation
    // writes the value only when this resource changes, so a deploy does not undo an operator.
    this.flag = new ssm.StringParameter(this, 'TradingEnabled', {
      parameterName: names.flagParameter,
      stringValue: 'false',
      description: 'Global kill flag: exactly "true" allows new entries; anything else halts.',
      tier: ssm.ParameterTier.STANDARD,
    });
    this.flattenRequest = new ssm.StringParameter(this, 'FlattenRequest', {
      parameterName: names.flattenRequestParameter,
      stringValue: NO_FLATTEN_REQUEST,
      description: 'JSON {id, reason, requester}: the trading service flattens once per new id.',
      tier: ssm.ParameterTier.STANDARD,
    });

    this.topics = new AlertTopics(this, 'Alerts', {
      pageTopicName: names.pageTopic,
      notifyTopicName: names.notifyTopic,
      alarmPrefix: names.prefix,
      emails: config.alarms.emails,
      httpsEndpoints: config.alarms.httpsEndpoints,
    });

    this.controlToken = new secretsmanager.Secret(this, 'ControlToken', {
      description: `${names.prefix}: bearer token of the trading service's control endpoints`,
      encryptionKey: props.dataKey,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.controlToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A shared bearer token read by the services at start; it is rotated by hand with a rolling restart (docs/RUNBOOK.md), not by a rotation Lambda.',
    });

    const tokens = stageTokenSet(config);
    if (config.broker !== 'paper' && tokens) {
      // Kite's construct id predates the others': kept, so that its retained secrets keep theirs.
      this.brokerSecrets = new BrokerSecrets(
        this,
        config.broker === 'kite' ? 'KiteSecrets' : 'BrokerSecrets',
        {
          stage: config.stage,
          broker: config.broker,
          encryptionKey: props.dataKey,
          tokenNames: tokens.names,
        },
      );
    }
    const secrets = this.brokerSecrets;

    this.trading = new TradingFargateService(this, 'TradingService', {
      cluster: this.cluster,
      serviceName: names.tradingService,
      stage: config.stage,
      mode: config.mode,
      broker:
        secrets && tokens
          ? {
              kind: secrets.broker,
              app: secrets.appOf(tokens.trades),
              tokenName: tokens.trades,
              token: secrets.token(tokens.trades),
              ...(secrets.broker === 'angelone'
                ? { publicIp: angelOnePublicIp(config.network.registeredEgressIps) }
                : {}),
            }
          : { kind: 'paper' },
      image: props.images('trading'),
      logGroup: this.logGroup,
      flag: this.flag,
      flattenRequest: this.flattenRequest,
      database: {
        host: props.database.instance.dbInstanceEndpointAddress,
        port: config.database.port,
        name: names.dbName,
        secret: props.database.secret,
        securityGroup: props.database.securityGroup,
      },
      controlToken: this.controlToken,
      secretsKey: props.dataKey,
      desiredCount: config.trading.desiredCount,
      cpu: config.trading.cpu,
      memoryMiB: config.trading.memoryMiB,
      flagMaxStalenessSeconds: config.trading.flagMaxStalenessSeconds,
      risk: config.risk,
      brokerTokens: config.trading.brokerTokens,
      vpcCidr: config.network.cidr,
      pageTopic: this.topics.page,
      alertsKey: this.topics.key,
    });

    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'FlagParameter', { value: this.flag.parameterName });
    new CfnOutput(this, 'PageTopicArn', { value: this.topics.page.topicArn });
  }
}
