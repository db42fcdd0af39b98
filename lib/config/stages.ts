import { DEFAULT_STAGE_TOKENS } from '../../contract/broker-tokens';
import {
  DEFAULT_BROKER_TOKENS,
  DEFAULT_RISK_LIMITS,
  DEFAULT_SCHEDULES,
  SNAPSHOT_RETENTION_DAYS,
  type Stage,
} from '../../contract/stage';
import type { StageDefaults } from './stage-config';

// NSE brokers (Kite, Upstox, Angel One) host in Mumbai: keep the order path in ap-south-1.
const region = 'ap-south-1';
const availabilityZones = ['ap-south-1a', 'ap-south-1b'];

/** One small task; sign-in through a Cognito user pool of the stage, from anywhere until narrowed. */
const dashboard: StageDefaults['dashboard'] = {
  desiredCount: 1,
  cpu: 256,
  memoryMiB: 512,
  auth: { kind: 'cognito' },
  allowedCidrs: ['0.0.0.0/0'],
};

const storage: StageDefaults['storage'] = {
  exportsInfrequentAccessAfterDays: 30,
  exportsExpireAfterDays: 2557, // 7 years: trade records kept for tax and SEBI audits
  backupsGlacierAfterDays: 30,
  backupsExpireAfterDays: 365,
  noncurrentVersionExpireAfterDays: 90,
};

/** Each broker's default token set, a copy per stage (no config object is shared). */
const brokerTokens = (): StageDefaults['brokerTokens'] => structuredClone(DEFAULT_STAGE_TOKENS);

/** The committed values of each stage. Account and mode come from context only. */
export const STAGE_DEFAULTS: Record<Stage, StageDefaults> = {
  dev: {
    region,
    terminationProtection: false,
    network: {
      cidr: '10.10.0.0/16',
      availabilityZones,
      natGateways: 1,
      registeredEgressIps: [],
      flowLogRetentionDays: 14,
    },
    database: {
      instanceClass: 't4g.micro',
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 50,
      multiAz: false,
      backupRetentionDays: 3,
      snapshotRetentionDays: SNAPSHOT_RETENTION_DAYS.dev,
      port: 5433,
      deletionProtection: false,
      performanceInsights: false,
    },
    storage: { ...storage, exportsExpireAfterDays: 90, backupsExpireAfterDays: 60 },
    // A day: a dev deployment's records can be cleaned up the day after.
    records: { retentionDays: 1, glacierInstantRetrievalAfterDays: 30, expireAfterDays: 60 },
    logRetentionDays: 14,
    alarms: { emails: [], httpsEndpoints: [] },
    trading: {
      desiredCount: 1,
      cpu: 512,
      memoryMiB: 1024,
      flagMaxStalenessSeconds: 5,
      brokerTokens: [...DEFAULT_BROKER_TOKENS],
      twoPersonResume: false,
      readinessGate: false,
    },
    dashboard,
    brokerTokens: brokerTokens(),
    ops: { emergencyStopProvisionedConcurrency: 0 },
    risk: DEFAULT_RISK_LIMITS,
    schedules: DEFAULT_SCHEDULES,
  },
  staging: {
    region,
    terminationProtection: false,
    network: {
      cidr: '10.20.0.0/16',
      availabilityZones,
      natGateways: 1,
      registeredEgressIps: [],
      flowLogRetentionDays: 30,
    },
    database: {
      instanceClass: 't4g.medium',
      allocatedStorageGiB: 50,
      maxAllocatedStorageGiB: 200,
      multiAz: false,
      backupRetentionDays: 7,
      snapshotRetentionDays: SNAPSHOT_RETENTION_DAYS.staging,
      port: 5433,
      deletionProtection: false,
      performanceInsights: true,
    },
    storage: { ...storage, exportsExpireAfterDays: 365 },
    records: { retentionDays: 30, glacierInstantRetrievalAfterDays: 30, expireAfterDays: 90 },
    logRetentionDays: 30,
    alarms: { emails: [], httpsEndpoints: [] },
    trading: {
      desiredCount: 1,
      cpu: 512,
      memoryMiB: 1024,
      flagMaxStalenessSeconds: 5,
      brokerTokens: [...DEFAULT_BROKER_TOKENS],
      twoPersonResume: false,
      readinessGate: true,
    },
    dashboard,
    brokerTokens: brokerTokens(),
    ops: { emergencyStopProvisionedConcurrency: 0 },
    risk: DEFAULT_RISK_LIMITS,
    schedules: DEFAULT_SCHEDULES,
  },
  prod: {
    region,
    terminationProtection: true,
    network: {
      cidr: '10.30.0.0/16',
      availabilityZones,
      // One NAT per AZ: losing the NAT's AZ must not cut the broker connection.
      natGateways: 2,
      registeredEgressIps: [],
      flowLogRetentionDays: 90,
    },
    database: {
      instanceClass: 'm7g.large',
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 500,
      multiAz: true,
      backupRetentionDays: 14,
      snapshotRetentionDays: SNAPSHOT_RETENTION_DAYS.prod,
      port: 5433,
      deletionProtection: true,
      performanceInsights: true,
    },
    storage,
    // SEBI: five years of records (1827 days covers the leap days); kept seven, as the exports.
    records: {
      retentionDays: 1827,
      glacierInstantRetrievalAfterDays: 90,
      expireAfterDays: 2557,
    },
    logRetentionDays: 90,
    alarms: { emails: [], httpsEndpoints: [] },
    trading: {
      desiredCount: 1,
      cpu: 1024,
      memoryMiB: 2048,
      flagMaxStalenessSeconds: 5,
      brokerTokens: [...DEFAULT_BROKER_TOKENS],
      twoPersonResume: true,
      readinessGate: true,
    },
    dashboard,
    brokerTokens: brokerTokens(),
    // One warm emergency stop: the kill an alarm triggers starts at once (~$4.4 a month).
    ops: { emergencyStopProvisionedConcurrency: 1 },
    risk: DEFAULT_RISK_LIMITS,
    schedules: DEFAULT_SCHEDULES,
  },
};
