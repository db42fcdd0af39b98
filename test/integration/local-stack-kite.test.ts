import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KiteConnect } from 'kiteconnect';
import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { buy } from '../support/local-stack';
import { eventually } from '../trading/harness';
import {
  describeLocalStackOn,
  type LocalBrokerEndpoints,
  type LocalStackDrive,
} from './local-stack-broker';

/** The SDK as the desk would use it, with the token the stack logged in with. */
const sdk = async (kite: LocalBrokerEndpoints) => {
  const store = new LocalTokenSecretStore(kite.secretDir, 'kite');
  const app = await store.readApp('PRIMARY');
  const stored = await store.readToken('PRIMARY');
  return new KiteConnect({
    api_key: app.api_key,
    access_token: stored?.token.access_token,
    root: kite.apiRoot,
  });
};

/** The P1 pages about a refused token the stack's notifier has written. */
const tokenPages = async ({ stack }: LocalStackDrive) =>
  (
    await readFile(path.join(path.dirname(stack.info.logDir), 'notifications.jsonl'), 'utf8').catch(
      () => '',
    )
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { at: string; topic: string; subject: string; message: string })
    .filter((n) => n.topic === 'page' && n.subject.includes('broker token invalid'));

describeLocalStackOn(
  {
    kind: 'kite',
    label: 'Kite',
    loggedIn: 'logged in',
    tagWord: 'tag',
    positionsCall: '/portfolio/positions',
    simPositions: async (kite) =>
      (await (await sdk(kite)).getPositions()).net.map((p) => ({
        symbol: p.tradingsymbol,
        quantity: p.quantity,
      })),
    lastPrice: async ({ endpoints }, symbol) =>
      (await (await sdk(endpoints)).getLTP([`NSE:${symbol}`]))[`NSE:${symbol}`]?.last_price ?? 0,
    tagsIn: (book, symbol) => book.filter((o) => o.tradingsymbol === symbol).map((o) => o.tag),
    tokenTest:
      'an expired token halts trading with cause "broker token invalid" and pages P1 once within 2 s',
    tokenCause: 'broker token invalid',
    afterTokenHalt: async (drive, sentAt, stop) => {
      const [page] = await eventually(
        async () => ((await tokenPages(drive)).length > 0 ? tokenPages(drive) : undefined),
        10_000,
        'the P1 page',
      );
      expect(Date.parse(page?.at ?? '') - sentAt).toBeLessThan(2000);
      expect(page?.message).toMatch(/Broker's words: TokenException: /);
      expect(page?.message).toContain(
        'Run: tradeops token login local --broker kite --name PRIMARY',
      );
      // The incident lasts until a call is accepted: a later refused order does not page again.
      expect((await buy(drive.stack, 'TCS', stop)).status).not.toBe(201);
      await eventually(async () => (await drive.state()).state === 'HALTED', 1000);
      expect(await tokenPages(drive)).toHaveLength(1);
    },
  },
  ({ tradeops, sim, state }) => {
    it("token status says EXPIRED in Kite's words; token login renews it and trading recovers without a restart", async () => {
      const before = await tradeops('token', 'status', 'local');
      expect(before.code).not.toBe(0);
      expect(before.stdout).toMatch(/PRIMARY\s+EXPIRED[\s\S]*TokenException/);

      const { request_token } = (await sim('POST', '/__sim/request-token')) as {
        request_token: string;
      };
      const tokenLogin = (pasted: string) =>
        tradeops('token', 'login', 'local', '--broker', 'kite', '--request-token', pasted);
      const login = await tokenLogin(
        `http://127.0.0.1/redirect?request_token=${request_token}&status=success`,
      );

      expect(login.code).toBe(0);
      expect(login.stdout).toMatch(/token PRIMARY stored for SIM001/);
      expect(`${login.stdout}${login.stderr}`).not.toMatch(/access_token|api_secret/);
      await eventually(
        async () => (await state()).cause?.startsWith('broker token invalid') !== true,
        10_000,
        'the renewed token',
      );
      expect((await tradeops('token', 'status', 'local')).stdout).toMatch(/PRIMARY\s+VALID/);
      const reused = await tokenLogin(request_token);
      expect(reused.code).not.toBe(0);
      expect(reused.stderr).toMatch(/Kite refused the request_token: TokenException/);
    }, 120_000);
  },
);
