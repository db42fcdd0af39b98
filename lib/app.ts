import { type App, type Environment, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OPERATOR_FUNCTION_NAMES, OPERATOR_FUNCTIONS } from '../contract/operator-actions';
import type { StageConfig } from './config/stage-config';
import type { LambdaCodeFactory } from './constructs/ops-function';
import { dockerImages, type ServiceImageFactory } from './constructs/service-images';
import { DashboardStack } from './stacks/dashboard-stack';
import { DataStack } from './stacks/data-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { NetworkStack } from './stacks/network-stack';
import { OpsStack } from './stacks/ops-stack';
import { TradingStack } from './stacks/trading-stack';

/** The stacks of one stage. */
export interface AlgoTradingStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly trading: TradingStack;
  readonly ops: OpsStack;
  readonly dashboard: DashboardStack;
  readonly monitoring: MonitoringStack;
}

export interface BuildAppOptions {
  /** Run cdk-nag's AwsSolutions checks at synth. @default true */
  readonly nag?: boolean;
  /** Container images. @default Docker builds of services/<name>/Dockerfile */
  readonly images?: ServiceImageFactory;
  /** Lambda code. @default esbuild bundles of lambdas/<name>/handler.ts */
  readonly lambdaCode?: LambdaCodeFactory;
}

/**
 * Assembles every stack of the stage `config.stage` into `app`. Stack names carry the stage so
 * that stages can share an account.
 */
export function buildApp(
  app: App,
  config: StageConfig,
  options: BuildAppOptions = {},
): AlgoTradingStacks {
  const env: Environment = { account: config.account, region: config.region };
  const prefix = `algo-trading-${config.stage}`;
  const common = { env, config };

  const network = new NetworkStack(app, `${prefix}-network`, {
    ...common,
    description: `algo-trading ${config.stage}: VPC, NAT egress IPs, endpoints, flow logs`,
  });
  const data = new DataStack(app, `${prefix}-data`, {
    ...common,
    vpc: network.vpc,
    terminationProtection: config.terminationProtection,
    description: `algo-trading ${config.stage}: KMS, RDS PostgreSQL, data bucket (stateful)`,
  });
  const trading = new TradingStack(app, `${prefix}-trading`, {
    ...common,
    vpc: network.vpc,
    dataKey: data.key,
    database: data.database,
    images: options.images ?? dockerImages,
    description: `algo-trading ${config.stage}: ECS cluster, trading service, logs, kill flag, paging topics`,
  });

  const ops = new OpsStack(app, `${prefix}-ops`, {
    ...common,
    vpc: network.vpc,
    egressIps: network.egressIps,
    database: data.database,
    dataKey: data.key,
    cluster: trading.cluster,
    tradingService: trading.trading.service,
    flag: trading.flag,
    flattenRequest: trading.flattenRequest,
    pageTopic: trading.topics.page,
    notifyTopic: trading.topics.notify,
    alertsKey: trading.topics.key,
    controlToken: trading.controlToken,
    serviceLogGroup: trading.logGroup,
    code: options.lambdaCode,
    description: `algo-trading ${config.stage}: emergency stop, resume, control functions, auto-kill`,
  });

  const dashboard = new DashboardStack(app, `${prefix}-dashboard`, {
    ...common,
    vpc: network.vpc,
    cluster: trading.cluster,
    logGroup: trading.logGroup,
    flag: trading.flag,
    dataKey: data.key,
    database: data.database,
    topics: { page: trading.topics.page, notify: trading.topics.notify },
    controlFunctions: [ops.emergencyStopAlias, ops.resume, ops.control],
    images: options.images ?? dockerImages,
    description: `algo-trading ${config.stage}: operations dashboard behind an authenticating ALB`,
  });

  const monitoring = new MonitoringStack(app, `${prefix}-monitoring`, {
    ...common,
    routes: { page: trading.topics.page, notify: trading.topics.notify },
    // By slug: the alarms are named after it (lambda-<slug>-errors).
    operatorFunctions: Object.fromEntries(
      OPERATOR_FUNCTION_NAMES.map((name) => [
        OPERATOR_FUNCTIONS[name].slug,
        ops.operatorFunctions[name],
      ]),
    ),
    scheduledFunctions: ops.scheduled,
    scheduleDeadLetters: ops.scheduleDeadLetters,
    autoKillDeadLetters: ops.autoKillDeadLetters,
    loadBalancer: dashboard.loadBalancer,
    targetGroup: dashboard.targetGroup,
    description: `algo-trading ${config.stage}: alarms by severity, safe-to-trade, paging, dashboard`,
  });

  Tags.of(app).add('project', 'algo-trading');
  Tags.of(app).add('stage', config.stage);
  Tags.of(app).add('mode', config.mode);
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { network, data, trading, ops, dashboard, monitoring };
}
