import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type AlgoTradingStacks, type BuildAppOptions, buildApp } from '../../lib/app';
import { loadStageConfig } from '../../lib/config/load-stage-config';
import type { StageConfig } from '../../lib/config/stage-config';
import type { LambdaCodeFactory } from '../../lib/constructs/ops-function';
import type { ServiceImageFactory } from '../../lib/constructs/service-images';

/** Lambda code that bundles nothing: infra tests must not run esbuild for every function. */
export const testLambdaCode: LambdaCodeFactory = (entry) =>
  lambda.Code.fromInline(`// ${entry}\nexports.handler = async () => ({});`);

/** Images that build nothing: infra tests must not hash the repository or run Docker. */
export const testImages: ServiceImageFactory = (service) =>
  ecs.ContainerImage.fromRegistry(`test/${service}:latest`);

export interface SynthesizedStage {
  readonly app: App;
  readonly config: StageConfig;
  readonly stacks: AlgoTradingStacks;
}

// The feature flags of cdk.json: tests must synthesize what `cdk synth` synthesizes.
const featureFlags: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8'),
).context;

/** Builds a stage's app from context exactly as `cdk synth -c stage=... -c ...` would. */
export function buildStage(
  context: Record<string, string>,
  {
    configure = (c) => c,
    ...options
  }: BuildAppOptions & {
    /** Config that no context key sets (e.g. an OIDC provider), applied after loading. */
    configure?: (config: StageConfig) => StageConfig;
  } = { nag: false },
): SynthesizedStage {
  const app = new App({ context: { ...featureFlags, ...context } });
  const config = configure(loadStageConfig((key) => app.node.tryGetContext(key)));
  return {
    app,
    config,
    stacks: buildApp(app, config, { images: testImages, lambdaCode: testLambdaCode, ...options }),
  };
}
