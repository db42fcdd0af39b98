import * as z from 'zod';
import { BrokerKindSchema } from '../../contract/brokers';
import { STAGES, type Stage } from '../../contract/stage';
import { parseOrThrow } from '../../contract/validation';
import { type StageConfig, type StageConfigInput, StageConfigSchema } from './stage-config';
import { STAGE_DEFAULTS } from './stages';

/** Reads one context value; `app.node.tryGetContext` fits. */
export type ContextReader = (key: string) => unknown;

const list = z
  .string()
  .transform((s) => s.split(',').map((item) => item.trim()))
  .transform((items) => items.filter((item) => item.length > 0));

/** Context keys the app understands (`-c key=value`). Anything else is ignored by CDK itself. */
const ContextSchema = z.object({
  account: z.string().optional(),
  region: z.string().optional(),
  mode: z.enum(['PAPER', 'LIVE']).optional(),
  broker: BrokerKindSchema.optional(),
  alarmEmails: list.optional(),
  alarmHttpsEndpoints: list.optional(),
  bucketName: z.string().optional(),
  registeredEgressIps: list.optional(),
  dashboardCertificateArn: z.string().optional(),
  dashboardDomainName: z.string().optional(),
  dashboardAllowedCidrs: list.optional(),
});

/** Thrown for a missing or unknown `-c stage=`; the message lists the valid stages. */
export class UnknownStageError extends Error {
  override readonly name = 'UnknownStageError';
}

export function parseStage(value: unknown): Stage {
  if (value === undefined || value === null || value === '') {
    throw new UnknownStageError(
      `No stage given: pass -c stage=<stage>. Valid stages: ${STAGES.join(', ')}`,
    );
  }
  if (typeof value === 'string' && (STAGES as readonly string[]).includes(value)) {
    return value as Stage;
  }
  throw new UnknownStageError(
    `Unknown stage ${JSON.stringify(value)}. Valid stages: ${STAGES.join(', ')}`,
  );
}

/**
 * Builds the validated configuration of the stage named by `-c stage=`. Context can set the
 * account, region, alarm routes, bucket name and registered egress IPs; LIVE mode only comes from
 * an explicit `-c mode=LIVE` (with `-c broker=kite`), never from committed config.
 */
export function loadStageConfig(context: ContextReader): StageConfig {
  const stage = parseStage(context('stage'));
  const raw = Object.fromEntries(
    Object.keys(ContextSchema.shape).map((key) => [key, context(key)]),
  );
  const overrides = parseOrThrow(ContextSchema, raw, 'context (-c key=value)');
  const defaults = STAGE_DEFAULTS[stage];

  const input: StageConfigInput = {
    ...defaults,
    stage,
    account: overrides.account,
    region: overrides.region ?? defaults.region,
    mode: overrides.mode ?? 'PAPER',
    broker: overrides.broker ?? 'paper',
    network: {
      ...defaults.network,
      registeredEgressIps: overrides.registeredEgressIps ?? defaults.network.registeredEgressIps,
    },
    storage: {
      ...defaults.storage,
      bucketName: overrides.bucketName ?? defaults.storage.bucketName,
    },
    alarms: {
      emails: overrides.alarmEmails ?? defaults.alarms.emails,
      httpsEndpoints: overrides.alarmHttpsEndpoints ?? defaults.alarms.httpsEndpoints,
    },
    dashboard: {
      ...defaults.dashboard,
      certificateArn: overrides.dashboardCertificateArn ?? defaults.dashboard.certificateArn,
      domainName: overrides.dashboardDomainName ?? defaults.dashboard.domainName,
      allowedCidrs: overrides.dashboardAllowedCidrs ?? defaults.dashboard.allowedCidrs,
    },
  };
  return parseOrThrow(StageConfigSchema, input, `configuration of stage "${stage}"`);
}
