import { LocalTokenSecretStore } from '../../services/common/tokens/token-secret-store';
import { UpstoxVenue } from '../../services/trading/src/broker/upstox/upstox-venue';
import { describeLocalStackOn, type LocalBrokerEndpoints } from './local-stack-broker';

/** The official SDK as the desk would use it, with the token the stack logged in with. */
const sdk = async (upstox: LocalBrokerEndpoints) => {
  const store = new LocalTokenSecretStore(upstox.secretDir, 'upstox');
  const token = (await store.readToken('PRIMARY'))?.token.access_token ?? '';
  return { venue: new UpstoxVenue({ accessToken: () => token, apiRoot: upstox.apiRoot }), token };
};

describeLocalStackOn({
  kind: 'upstox',
  label: 'Upstox',
  loggedIn: 'logged in through the OAuth dialog',
  tagWord: 'tag',
  positionsCall: 'the short-term positions',
  simPositions: async (upstox) => (await sdk(upstox)).venue.netPositions(),
  lastPrice: async ({ endpoints }, symbol) => {
    const { venue, token } = await sdk(endpoints);
    const key = (await venue.instrument(symbol))?.instrumentKey ?? '';
    const res = await fetch(
      `${endpoints.apiRoot}/v2/market-quote/ltp?instrument_key=${encodeURIComponent(key)}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const data = ((await res.json()) as { data: Record<string, { last_price: number }> }).data;
    return data[`NSE_EQ:${symbol}`]?.last_price ?? 0;
  },
  tagsIn: (book, symbol) => book.filter((o) => o.trading_symbol === symbol).map((o) => o.tag),
  tokenTest: 'a token revoked mid-day (401) halts trading with cause "broker token invalid"',
  tokenCause: 'broker token invalid: UDAPI100050',
});
