import * as z from 'zod';
import { BrokerTokenSetsSchema, type StageTokens } from '../../contract/broker-tokens';
import { BrokerKindSchema } from '../../contract/brokers';
import { RiskLimitsSchema } from '../../contract/risk-limits';
import { SchedulesSchema, STAGES } from '../../contract/stage';

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const logRetention = z
  .number()
  .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
    message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
  });

const ipv4Cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-8])$/, 'expected an IPv4 CIDR from /16 to /28');

/** Who may sign in to the dashboard: a Cognito user pool of this stage, or the desk's OIDC IdP. */
const DashboardAuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cognito') }).strict(),
  z
    .object({
      kind: z.literal('oidc'),
      issuer: z.url({ protocol: /^https$/ }),
      authorizationEndpoint: z.url({ protocol: /^https$/ }),
      tokenEndpoint: z.url({ protocol: /^https$/ }),
      userInfoEndpoint: z.url({ protocol: /^https$/ }),
      clientId: z.string().min(1),
      /** Secrets Manager secret (name) holding the client secret. */
      clientSecretName: z.string().min(1),
    })
    .strict(),
]);

export const DashboardConfigSchema = z
  .object({
    desiredCount: z.number().int().min(0).max(4),
    cpu: z.union([z.literal(256), z.literal(512), z.literal(1024)]),
    memoryMiB: z.number().int().min(512).max(4096),
    /** ACM certificate for HTTPS. Without one the ALB cannot authenticate: every API call is 401. */
    certificateArn: z
      .string()
      .regex(
        /^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/,
        'expected an ACM certificate ARN',
      )
      .optional(),
    /** The name the certificate is for (the Cognito callback and the link people open). */
    domainName: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'expected a DNS name')
      .optional(),
    auth: DashboardAuthSchema,
    /** Who may reach the load balancer (the desk's office and VPN ranges). */
    allowedCidrs: z.array(z.cidrv4()).min(1),
  })
  .strict()
  .refine((d) => !d.certificateArn || d.domainName, {
    message: 'a certificate needs the domain name it is for (-c dashboardDomainName=...)',
    path: ['domainName'],
  });

// Instance classes that Performance Insights / Database Insights does not support.
const NO_PERFORMANCE_INSIGHTS = /^(t2|t3|t4g)\.(micro|small)$/;

export const DatabaseConfigSchema = z
  .object({
    /** RDS instance class without the `db.` prefix, e.g. `t4g.medium`. */
    instanceClass: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, 'expected e.g. t4g.medium'),
    allocatedStorageGiB: z.number().int().min(20).max(65_536),
    maxAllocatedStorageGiB: z.number().int().min(20).max(65_536),
    multiAz: z.boolean(),
    /** Automated backups, days (RDS allows 1-35). */
    backupRetentionDays: z.number().int().min(1).max(35),
    /** Manual snapshots `algo-trading-<stage>-backup-<YYYYMMDD>` kept by the backup procedure. */
    snapshotRetentionDays: z.number().int().min(1).max(365),
    /** Non-default port: scanners look for 5432. */
    port: z
      .number()
      .int()
      .min(1150)
      .max(65_535)
      .refine((p) => p !== 5432, 'must not be the default 5432'),
    deletionProtection: z.boolean(),
    performanceInsights: z.boolean(),
  })
  .strict()
  .refine(
    (db) => db.maxAllocatedStorageGiB >= db.allocatedStorageGiB,
    'maxAllocatedStorageGiB must be at least allocatedStorageGiB',
  )
  .refine(
    (db) => !(db.performanceInsights && NO_PERFORMANCE_INSIGHTS.test(db.instanceClass)),
    'performanceInsights is not available on micro/small burstable classes',
  );

export const StageConfigSchema = z
  .object({
    stage: z.enum(STAGES),
    /** AWS account; absent means an environment-agnostic synth (no look-ups, no account). */
    account: z
      .string()
      .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
      .optional(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as ap-south-1'),
    /** PAPER unless `-c mode=LIVE` is given explicitly. */
    mode: z.enum(['PAPER', 'LIVE']),
    /** paper unless `-c broker=kite|upstox|angelone` is given; LIVE needs a live broker and each needs LIVE. */
    broker: BrokerKindSchema,
    terminationProtection: z.boolean(),
    network: z
      .object({
        cidr: ipv4Cidr,
        /** Exactly two AZs, named, so that synth never looks them up. */
        availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/)).length(2),
        /** One NAT (cheaper) or one per AZ (no single point of failure for broker egress). */
        natGateways: z.number().int().min(1).max(2),
        /** Egress IPs registered with the broker/exchange; the morning check compares them. */
        registeredEgressIps: z.array(z.ipv4()),
        flowLogRetentionDays: logRetention,
      })
      .strict(),
    database: DatabaseConfigSchema,
    storage: z
      .object({
        /** Override of `algo-trading-<stage>-data-<account>`. */
        bucketName: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
          .optional(),
        exportsInfrequentAccessAfterDays: z.number().int().min(30),
        exportsExpireAfterDays: z.number().int().min(1),
        backupsGlacierAfterDays: z.number().int().min(1),
        backupsExpireAfterDays: z.number().int().min(1),
        noncurrentVersionExpireAfterDays: z.number().int().min(1),
      })
      .strict()
      .refine(
        (s) => s.exportsExpireAfterDays > s.exportsInfrequentAccessAfterDays,
        'exportsExpireAfterDays must be after exportsInfrequentAccessAfterDays',
      )
      .refine(
        (s) => s.backupsExpireAfterDays > s.backupsGlacierAfterDays,
        'backupsExpireAfterDays must be after backupsGlacierAfterDays',
      ),
    /**
     * The five-year records bucket `algo-trading-<stage>-records-<account>`: Object Lock in
     * COMPLIANCE mode (nobody, root included, deletes or shortens a version before its time).
     */
    records: z
      .object({
        /** Default retention of every object version, in days (prod: 5 years). */
        retentionDays: z.number().int().min(1).max(36_500),
        /** To Glacier Instant Retrieval after this many days (still read by `records verify`). */
        glacierInstantRetrievalAfterDays: z.number().int().min(1),
        /** Deleted after this many days: never before the retention ends. */
        expireAfterDays: z.number().int().min(1),
      })
      .strict()
      .refine((r) => r.expireAfterDays >= r.retentionDays, {
        message: 'expireAfterDays must not be before retentionDays ends',
        path: ['expireAfterDays'],
      })
      .refine((r) => r.expireAfterDays > r.glacierInstantRetrievalAfterDays, {
        message: 'expireAfterDays must be after glacierInstantRetrievalAfterDays',
        path: ['expireAfterDays'],
      }),
    logRetentionDays: logRetention,
    alarms: z
      .object({
        emails: z.array(z.email()),
        httpsEndpoints: z.array(z.url({ protocol: /^https$/ })),
      })
      .strict(),
    trading: z
      .object({
        desiredCount: z.number().int().min(0).max(10),
        cpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048)]),
        memoryMiB: z.number().int().min(512).max(16_384),
        /** Flag unreadable for longer than this: HALTED. */
        flagMaxStalenessSeconds: z.number().int().min(1).max(60),
        /** Named broker access tokens that must be valid past today's close. */
        brokerTokens: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/)).min(1),
        /** Second operator must approve a resume. */
        twoPersonResume: z.boolean(),
        /** A NOT READY morning checklist keeps the flag false and pages. */
        readinessGate: z.boolean(),
      })
      .strict(),
    dashboard: DashboardConfigSchema,
    /**
     * The named tokens at each broker (contract/broker-tokens.ts): the set of `broker` is the
     * one deployed: its secrets, the ops functions' access to exactly them, the token check.
     * (`trading.brokerTokens` stays the paper broker's made-up tokens.)
     */
    brokerTokens: BrokerTokenSetsSchema,
    ops: z
      .object({
        /**
         * Execution environments of the emergency stop kept initialised, so that an alarm's kill
         * meets no cold start; billed around the clock (README cost table). 0: none.
         */
        emergencyStopProvisionedConcurrency: z.number().int().min(0).max(5),
      })
      .strict(),
    risk: RiskLimitsSchema,
    schedules: SchedulesSchema,
  })
  .strict()
  // The trading service refuses both at start; refusing at synth keeps a bad deploy from rolling.
  .refine((c) => !(c.mode === 'LIVE' && c.broker === 'paper'), {
    message:
      'mode LIVE needs a live broker (-c broker=kite|upstox|angelone): the paper broker trades nothing real',
    path: ['broker'],
  })
  .superRefine((c, ctx) => {
    if (c.broker !== 'paper' && c.mode !== 'LIVE')
      ctx.addIssue({
        code: 'custom',
        message: `broker ${c.broker} places real orders: it needs -c mode=LIVE`,
        path: ['broker'],
      });
  })
  // SEBI's framework: API orders come only from static IPs registered with the broker. Each NAT
  // gateway is one egress IP; an unregistered one would have its tasks' orders refused.
  .superRefine((c, ctx) => {
    const { natGateways, registeredEgressIps } = c.network;
    if (c.mode === 'LIVE' && registeredEgressIps.length < natGateways)
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'registeredEgressIps'],
        input: registeredEgressIps,
        message: `mode LIVE needs the ${natGateways} egress IP(s) of ${c.stage} (one per NAT gateway) registered with the broker and named in -c registeredEgressIps=<ip1>,<ip2>: deploy PAPER first, register the network stack's EgressIps output with the broker, then deploy LIVE naming them`,
      });
  });

export type StageConfig = z.output<typeof StageConfigSchema>;

/** The stage's named tokens at the broker it deploys with; none for the paper broker. */
export function stageTokenSet(config: StageConfig): StageTokens | undefined {
  return config.broker === 'paper' ? undefined : config.brokerTokens[config.broker];
}
export type StageConfigInput = z.input<typeof StageConfigSchema>;

/** A stage's committed values: everything but what context decides (account, mode, broker). */
export type StageDefaults = Omit<StageConfigInput, 'stage' | 'account' | 'mode' | 'broker'>;
