import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { AngelOneVenue } from '../../services/trading/src/broker/angelone/angelone-venue';
import { describeLocalStackOn } from './local-stack-broker';

/** Logged in unattended from the TOTP seed. */
describeLocalStackOn({
  kind: 'angelone',
  label: 'Angel One',
  loggedIn: 'logged in from the TOTP seed',
  tagWord: 'ordertag',
  positionsCall: 'getPosition',
  /** The official SDK as the desk would use it, with the session the stack logged in with. */
  simPositions: async (angelone) => {
    const store = new LocalTokenSecretStore(angelone.secretDir, 'angelone');
    const [app, stored] = await Promise.all([store.readApp('PRIMARY'), store.readToken('PRIMARY')]);
    return new AngelOneVenue({
      apiKey: app.api_key,
      accessToken: () => stored?.token.access_token ?? '',
      root: angelone.apiRoot,
      network: { publicIp: '127.0.0.1' },
    }).netPositions();
  },
  lastPrice: async ({ sim }, symbol) =>
    ((await sim('GET', `/__sim/ltp/${symbol}`)) as { ltp: number }).ltp,
  tagsIn: (book, symbol) =>
    book.filter((o) => o.tradingsymbol === `${symbol}-EQ`).map((o) => o.ordertag),
  tokenTest: 'a session revoked mid-day (AG8001) halts trading with cause "broker token invalid"',
  tokenCause: 'broker token invalid: AG8001',
});
