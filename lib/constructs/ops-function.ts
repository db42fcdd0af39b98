import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { OpsEnvironmentVariables } from '../../contract/lambda-environment';
import { type OpsReach, type OpsReachTargets, reachRole } from './ops-reach';

/** Turns a handler entry into Lambda code. The default bundles with esbuild; tests pass one that doesn't. */
export type LambdaCodeFactory = (entry: string) => lambda.Code;

export interface OpsFunctionProps {
  /** The handler file, relative to the repository (`lambdas/<name>/handler.ts`). */
  readonly entry: string;
  readonly description: string;
  /** Every variable of the ops functions' environment schema. */
  readonly environment: OpsEnvironmentVariables;
  /** Variables of this function only (the scheduled functions' PROCEDURE). */
  readonly extraEnvironment?: Record<string, string>;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
  /** What it may touch: its role has exactly that (and its own log group). */
  readonly reach: OpsReach;
  /** The resources its reach refers to. */
  readonly targets: OpsReachTargets;
  readonly logRetention: logs.RetentionDays;
  /** @default 5 minutes */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default esbuild bundling (NodejsFunction) */
  readonly code?: LambdaCodeFactory;
}

const REPOSITORY_ROOT = path.join(__dirname, '../..');

/** What the runtime provides (the SDK v3 clients) or is unused (pg's native binding). */
const EXTERNAL_MODULES = ['@aws-sdk/client-*', '@aws-sdk/core', 'pg-native'];

/**
 * The handler's second file: `lambdas/<name>/deferred.ts`, which the handler requires lazily as
 * `./deferred`. It is left out of index.js and bundled beside it as deferred.js with the same
 * options, so that init reads and parses only the handler (lambdas/shared/ops-handler.ts).
 */
const DEFERRED = './deferred';

/** The esbuild command that bundles `entry` (relative to `inputDir`) into `outfile` as index.js is bundled. */
function esbuildCommand(inputDir: string, entry: string, outfile: string): string {
  return [
    path.join(inputDir, 'node_modules', '.bin', 'esbuild'),
    '--bundle',
    JSON.stringify(path.join(inputDir, entry)),
    '--target=node24',
    '--platform=node',
    '--format=cjs',
    `--outfile=${JSON.stringify(outfile)}`,
    '--minify',
    '--sourcemap',
    ...EXTERNAL_MODULES.map((m) => `--external:${m}`),
  ].join(' ');
}

/**
 * One ops Lambda with the settings every one of them shares: Node.js 24 on ARM64, X-Ray tracing,
 * JSON logs into a log group with retention, source maps, in the VPC, and an environment typed
 * from the functions' zod schema. Its role is made from its declarative `reach` (ops-reach.ts).
 */
export class OpsFunction extends Construct {
  readonly fn: lambda.Function;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OpsFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup = logGroup;
    const role = reachRole(
      this,
      'Role',
      `${props.targets.names.prefix} ${id} function`,
      props.reach,
      props.targets,
    );
    const common = {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? 512,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      environment: {
        ...props.environment,
        ...props.extraEnvironment,
        NODE_OPTIONS: '--enable-source-maps',
        // Lambda's Node.js runtime ships the RDS CA here; pg verifies the database's certificate.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    };
    const deferred = path.join(path.dirname(props.entry), 'deferred.ts');
    const hasDeferred = existsSync(path.join(REPOSITORY_ROOT, deferred));
    this.fn = props.code
      ? new lambda.Function(this, 'Function', {
          ...common,
          code: props.code(props.entry),
          handler: 'index.handler',
        })
      : new nodejs.NodejsFunction(this, 'Function', {
          ...common,
          entry: path.join(REPOSITORY_ROOT, props.entry),
          handler: 'handler',
          projectRoot: REPOSITORY_ROOT,
          depsLockFilePath: path.join(REPOSITORY_ROOT, 'package-lock.json'),
          bundling: {
            minify: true,
            sourceMap: true,
            target: 'node24',
            format: nodejs.OutputFormat.CJS,
            externalModules: [...EXTERNAL_MODULES, DEFERRED],
            forceDockerBundling: false,
            commandHooks: {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (inputDir, outputDir) =>
                hasDeferred
                  ? [esbuildCommand(inputDir, deferred, path.join(outputDir, 'deferred.js'))]
                  : [],
            },
          },
        });
    logGroup.grantWrite(role);
  }
}
