import type { Schedules, Stage, StageDefaults } from './stage-config';

// NSE brokers (Kite, Upstox, Angel One) host in Mumbai: keep the order path in ap-south-1.
const region = 'ap-south-1';
const availabilityZones = ['ap-south-1a', 'ap-south-1b'];

/** When the scheduled procedures run, in IST (EventBridge Scheduler, Asia/Kolkata). */
export const DEFAULT_SCHEDULES: Schedules = {
  tokenCheck: { time: '07:30', days: 'MON-FRI' },
  morningChecklist: { time: '08:45', days: 'MON-FRI' },
  deadlineCheck: { time: '09:05', days: 'MON-FRI' },
  eveningChecklist: { time: '16:00', days: 'MON-FRI' },
  tradeExport: { time: '16:05', days: 'MON-FRI' },
  databaseBackup: { time: '16:30', days: 'MON-FRI' },
  maintenance: { time: '06:00', days: 'SAT' },
};

/** One small task; sign-in through a Cognito user pool of the stage, from anywhere until narrowed. */
const dashboard: StageDefaults['dashboard'] = {
  desiredCount: 1,
  cpu: 256,
  memoryMiB: 512,
  auth: { kind: 'cognito' },
  allowedCidrs: ['0.0.0.0/0'],
};

const brokerTokens = [
  'PRIMARY',
  'WEBSOCKET1',
  'WEBSOCKET2',
  'WEBSOCKET3',
  'OPTIONCHAIN1',
  'OPTIONCHAIN2',
];

const risk: StageDefaults['risk'] = {
  capitalInr: 1_000_000,
  perTradeRiskPct: 0.5,
  maxPortfolioHeatPct: 2,
  dailyLossStopPct: 2.5,
  maxOrderNotionalInr: 200_000,
  maxPositionNotionalInr: 300_000,
  maxOrdersPerSecond: 8,
  priceCollarPct: 2,
  duplicateWindowMs: 2000,
};

const storage: StageDefaults['storage'] = {
  exportsInfrequentAccessAfterDays: 30,
  exportsExpireAfterDays: 2557, // 7 years: trade records kept for tax and SEBI audits
  backupsGlacierAfterDays: 30,
  backupsExpireAfterDays: 365,
  noncurrentVersionExpireAfterDays: 90,
};

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
      snapshotRetentionDays: 3,
      port: 5433,
      deletionProtection: false,
      performanceInsights: false,
    },
    storage: { ...storage, exportsExpireAfterDays: 90, backupsExpireAfterDays: 60 },
    logRetentionDays: 14,
    alarms: { emails: [], httpsEndpoints: [] },
    trading: {
      desiredCount: 1,
      cpu: 512,
      memoryMiB: 1024,
      flagMaxStalenessSeconds: 5,
      brokerTokens,
      twoPersonResume: false,
      readinessGate: false,
    },
    dashboard,
    ops: { emergencyStopProvisionedConcurrency: 0 },
    risk,
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
      snapshotRetentionDays: 7,
      port: 5433,
      deletionProtection: false,
      performanceInsights: true,
    },
    storage: { ...storage, exportsExpireAfterDays: 365 },
    logRetentionDays: 30,
    alarms: { emails: [], httpsEndpoints: [] },
    trading: {
      desiredCount: 1,
      cpu: 512,
      memoryMiB: 1024,
      flagMaxStalenessSeconds: 5,
      brokerTokens,
      twoPersonResume: false,
      readinessGate: true,
    },
    dashboard,
    ops: { emergencyStopProvisionedConcurrency: 0 },
    risk,
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
      snapshotRetentionDays: 30,
      port: 5433,
      deletionProtection: true,
      performanceInsights: true,
    },
    storage,
    logRetentionDays: 90,
    alarms: { emails: [], httpsEndpoints: [] },
    trading: {
      desiredCount: 1,
      cpu: 1024,
      memoryMiB: 2048,
      flagMaxStalenessSeconds: 5,
      brokerTokens,
      twoPersonResume: true,
      readinessGate: true,
    },
    dashboard,
    // One warm emergency stop: the kill an alarm triggers starts at once (~$4.4 a month).
    ops: { emergencyStopProvisionedConcurrency: 1 },
    risk,
    schedules: DEFAULT_SCHEDULES,
  },
};
