import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import pino from 'pino';
import { SnsNotifier } from '../../services/ops/platform/aws/sns-notifier';
import { LocalNotifier } from '../../services/ops/platform/local/local-platform';
import { BrokerTokenPager } from '../../services/trading/src/health/token-pager';
import { eventually } from '../trading/harness';
import { tokenWatchingStates } from './broker-faults';
import { startKiteVenue } from './kite-venue';

type Venue = Awaited<ReturnType<typeof startKiteVenue>>;

interface PageLine {
  readonly at: string;
  readonly topic: string;
  readonly subject: string;
  readonly message: string;
}

const quiet = pino({ level: 'silent' });

describe('broker token page: the service pages P1 itself', () => {
  let venue: Venue;
  let dir: string;
  let file: string;
  let pager: BrokerTokenPager;
  const pages = (): PageLine[] => {
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as PageLine);
    } catch {
      return [];
    }
  };

  beforeEach(async () => {
    venue = await startKiteVenue({ pollMs: 60_000 });
    dir = mkdtempSync(path.join(os.tmpdir(), 'token-page-'));
    file = path.join(dir, 'notifications.jsonl');
    pager = new BrokerTokenPager({
      stage: 'local',
      taskId: 'task-1',
      broker: venue.kite,
      tokenName: 'PRIMARY',
      notifier: new LocalNotifier(file, () => undefined),
      log: quiet,
    });
    pager.start();
  });
  afterEach(async () => {
    pager.stop();
    await venue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("halts and pages once within 2 s of the first refusal, in Kite's words, with the login command", async () => {
    const states = tokenWatchingStates(venue.kite);
    expect(states.update()?.to).toBe('ACTIVE');
    venue.simulator.control.expireTokens();
    const refusedAt = Date.now();

    // Every call after the expiry fails: one incident, however many failing calls.
    for (let i = 0; i < 3; i += 1) await expect(venue.kite.positions()).rejects.toThrow(/Token/);
    const page = await eventually(() => pages()[0], 10_000, 'the page');
    const halted = states.update();

    expect(Date.parse(page.at) - refusedAt).toBeLessThan(2000);
    expect(halted).toMatchObject({ to: 'HALTED' });
    expect(halted?.cause).toMatch(/^broker token invalid: TokenException: /);
    expect(page.topic).toBe('page');
    expect(page.subject).toBe('[P1] broker token invalid on local: trading HALTED');
    expect(page.message).toContain(`Broker's words: ${venue.kite.tokenProblem()}`);
    expect(page.message).toContain('Run: tradeops token login local --broker kite --name PRIMARY');
    await expect(venue.kite.positions()).rejects.toThrow(/Token/);
    expect(pages()).toHaveLength(1);
    expect(pager.pages).toBe(1);
  });

  it('pages again for a new incident after the token was accepted in between', async () => {
    venue.simulator.control.expireTokens();
    await expect(venue.kite.positions()).rejects.toThrow(/Token/);
    await eventually(() => pages().length === 1, 10_000, 'the first page');

    await venue.relogin();
    await venue.kite.positions();
    await eventually(() => {
      pager.watch();
      return venue.kite.tokenProblem() === undefined;
    }, 5000);
    venue.simulator.control.expireTokens();
    await expect(venue.kite.positions()).rejects.toThrow(/Token/);

    await eventually(() => pages().length === 2, 10_000, 'the second page');
  });
});

describe('broker token page through SNS', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  const pagerOn = (problem: { value?: string }) =>
    new BrokerTokenPager({
      stage: 'prod',
      taskId: 'task-9',
      broker: { name: 'kite', tokenProblem: () => problem.value },
      tokenName: 'PRIMARY',
      notifier: new SnsNotifier(new SNSClient({ region: 'ap-south-1' }), {
        page: 'arn:aws:sns:ap-south-1:111111111111:algo-trading-prod-page',
      }),
      log: quiet,
      backoffMs: 1,
    });

  it('publishes one P1 to the page topic, retrying a throttled publish', async () => {
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ MessageId: 'm-1' });
    const problem: { value?: string } = {};
    const pager = pagerOn(problem);

    pager.watch();
    problem.value = 'TokenException: Incorrect `api_key` or `access_token`.';
    pager.watch();
    pager.watch();
    await eventually(() => pager.pages === 1, 5000, 'the page');

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input).toMatchObject({
      TopicArn: 'arn:aws:sns:ap-south-1:111111111111:algo-trading-prod-page',
      Subject: '[P1] broker token invalid on prod: trading HALTED',
    });
    expect(calls[1]?.args[0].input.Message).toContain(
      "Broker's words: TokenException: Incorrect `api_key` or `access_token`.",
    );
    expect(calls[1]?.args[0].input.Message).toContain(
      'Run: tradeops token login prod --broker kite --name PRIMARY',
    );
  });

  it('gives up after its attempts when SNS refuses (the alarm is the backstop), without throwing', async () => {
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AuthorizationErrorException' }));
    const pager = pagerOn({ value: 'TokenException: expired' });

    pager.watch();

    await eventually(() => sns.commandCalls(PublishCommand).length === 5, 5000, 'the attempts');
    expect(pager.pages).toBe(0);
  });
});
