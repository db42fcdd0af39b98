import { STAGES } from '../../contract/stage';
import { loadStageConfig } from '../../lib/config/load-stage-config';
import { DatabaseConfigSchema } from '../../lib/config/stage-config';
import { STAGE_DEFAULTS } from '../../lib/config/stages';

const reader = (context: Record<string, unknown>) => (key: string) => context[key];

describe('loadStageConfig', () => {
  it.each(STAGES)('loads the committed values of %s', (stage) => {
    const config = loadStageConfig(reader({ stage }));

    expect(config.stage).toBe(stage);
    expect(config.mode).toBe('PAPER');
    expect(config.region).toBe('ap-south-1');
    expect(config.account).toBeUndefined();
  });

  it('rejects an unknown stage and lists the valid ones', () => {
    expect(() => loadStageConfig(reader({ stage: 'qa' }))).toThrow(
      'Unknown stage "qa". Valid stages: dev, staging, prod',
    );
  });

  it('rejects an upper-case stage', () => {
    expect(() => loadStageConfig(reader({ stage: 'PROD' }))).toThrow(/Unknown stage "PROD"/);
  });

  it('requires a stage', () => {
    expect(() => loadStageConfig(reader({}))).toThrow(/No stage given: pass -c stage=<stage>/);
  });

  it.each([
    ['dev', 0],
    ['staging', 0],
    ['prod', 1],
  ] as const)('keeps %s emergency stops warm: %i', (stage, warm) => {
    expect(loadStageConfig(reader({ stage })).ops.emergencyStopProvisionedConcurrency).toBe(warm);
  });

  const PROD_EGRESS_IPS = '13.232.1.1,13.232.1.2';

  it('is LIVE only when -c mode=LIVE is given, with -c broker=kite', () => {
    const config = loadStageConfig(
      reader({ stage: 'prod', mode: 'LIVE', broker: 'kite', registeredEgressIps: PROD_EGRESS_IPS }),
    );

    expect(config).toMatchObject({ mode: 'LIVE', broker: 'kite' });
    expect(config.network.registeredEgressIps).toEqual(['13.232.1.1', '13.232.1.2']);
  });

  it('refuses LIVE without registered egress IPs, naming the context key', () => {
    expect(() => loadStageConfig(reader({ stage: 'prod', mode: 'LIVE', broker: 'kite' }))).toThrow(
      /network\.registeredEgressIps: mode LIVE needs the 2 egress IP\(s\) of prod \(one per NAT gateway\) registered with the broker and named in -c registeredEgressIps=<ip1>,<ip2>: deploy PAPER first.* \(got \[\]\)/,
    );
  });

  it('refuses LIVE with fewer registered IPs than NAT gateways', () => {
    expect(() =>
      loadStageConfig(
        reader({ stage: 'prod', mode: 'LIVE', broker: 'kite', registeredEgressIps: '13.232.1.1' }),
      ),
    ).toThrow(/network\.registeredEgressIps: mode LIVE needs the 2 egress IP\(s\) of prod/);
  });

  it('needs no registered egress IPs in PAPER', () => {
    expect(loadStageConfig(reader({ stage: 'prod' })).network.registeredEgressIps).toEqual([]);
  });

  it('trades on paper unless -c broker= is given', () => {
    expect(loadStageConfig(reader({ stage: 'prod' })).broker).toBe('paper');
  });

  it('refuses LIVE with the paper broker', () => {
    expect(() => loadStageConfig(reader({ stage: 'prod', mode: 'LIVE' }))).toThrow(
      /broker: mode LIVE needs a live broker \(-c broker=kite\)/,
    );
    expect(() => loadStageConfig(reader({ stage: 'prod', mode: 'LIVE', broker: 'paper' }))).toThrow(
      /broker: mode LIVE needs a live broker/,
    );
  });

  it('refuses the Kite broker in PAPER mode', () => {
    expect(() => loadStageConfig(reader({ stage: 'dev', broker: 'kite' }))).toThrow(
      /broker: broker kite places real orders: it needs -c mode=LIVE/,
    );
  });

  it('names a bad broker and its value', () => {
    expect(() =>
      loadStageConfig(reader({ stage: 'prod', mode: 'LIVE', broker: 'zerodha' })),
    ).toThrow(/broker: .* \(got "zerodha"\)/);
  });

  it('names a bad mode and its value', () => {
    expect(() => loadStageConfig(reader({ stage: 'prod', mode: 'live' }))).toThrow(
      /mode: .* \(got "live"\)/,
    );
  });

  it('names a bad account id', () => {
    expect(() => loadStageConfig(reader({ stage: 'prod', account: '1234' }))).toThrow(
      'Invalid configuration of stage "prod": account: expected a 12-digit AWS account id (got "1234")',
    );
  });

  it('takes alarm routes from context as comma-separated lists', () => {
    const config = loadStageConfig(
      reader({
        stage: 'dev',
        alarmEmails: 'oncall@desk.example, lead@desk.example',
        alarmHttpsEndpoints: 'https://events.pagerduty.example/hook',
      }),
    );

    expect(config.alarms).toEqual({
      emails: ['oncall@desk.example', 'lead@desk.example'],
      httpsEndpoints: ['https://events.pagerduty.example/hook'],
    });
  });

  it('rejects a plain-HTTP webhook', () => {
    expect(() =>
      loadStageConfig(reader({ stage: 'dev', alarmHttpsEndpoints: 'http://hooks.example/x' })),
    ).toThrow(/alarms\.httpsEndpoints\.0: .*\(got "http:\/\/hooks\.example\/x"\)/);
  });

  it('rejects a bad registered egress IP', () => {
    expect(() =>
      loadStageConfig(reader({ stage: 'prod', registeredEgressIps: '13.232.1.1,13.232.1' })),
    ).toThrow(/network\.registeredEgressIps\.1: .*\(got "13\.232\.1"\)/);
  });

  it('keeps prod Multi-AZ, deletion-protected and termination-protected', () => {
    const config = loadStageConfig(reader({ stage: 'prod' }));

    expect(config.database.multiAz).toBe(true);
    expect(config.database.deletionProtection).toBe(true);
    expect(config.terminationProtection).toBe(true);
  });
});

describe('DatabaseConfigSchema', () => {
  it('rejects Performance Insights on a micro class', () => {
    const result = DatabaseConfigSchema.safeParse({
      ...STAGE_DEFAULTS.dev.database,
      performanceInsights: true,
    });

    expect(result.success).toBe(false);
  });

  it('rejects the default PostgreSQL port', () => {
    const result = DatabaseConfigSchema.safeParse({ ...STAGE_DEFAULTS.prod.database, port: 5432 });

    expect(result.success).toBe(false);
  });
});
