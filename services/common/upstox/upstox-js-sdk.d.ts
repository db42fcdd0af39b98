/**
 * The part of `upstox-js-sdk` (plain JavaScript, no types) this code calls, typed from its
 * `dist/ApiClient.js` and `dist/api/*.js`. Every call takes a node-style callback; answers are the
 * SDK's model objects (camelCase fields), parsed with zod before use.
 */
declare module 'upstox-js-sdk' {
  export type UpstoxCallback<T = unknown> = (error: unknown, data: T, response: unknown) => void;

  export class ApiClient {
    constructor(sandbox?: boolean);
    /** Every call but placement/modify/cancel: https://api.upstox.com */
    basePath: string;
    /** `/order/place|modify|cancel`: https://api-hft.upstox.com */
    orderBasePath: string;
    /** Per-request timeout of superagent, in ms. */
    timeout: number;
    authentications: { OAUTH2: { type: 'oauth2'; accessToken?: string } };
    defaultHeaders: Record<string, string>;
  }

  export class LoginApi {
    constructor(client?: ApiClient);
    token(
      apiVersion: string,
      opts: {
        code: string;
        clientId: string;
        clientSecret: string;
        redirectUri: string;
        grantType: 'authorization_code';
      },
      callback: UpstoxCallback,
    ): void;
    /** `DELETE /v2/logout`: ends the session of the client's bearer token. */
    logout(apiVersion: string, callback: UpstoxCallback): void;
  }

  export class UserApi {
    constructor(client?: ApiClient);
    getProfile(apiVersion: string, callback: UpstoxCallback): void;
  }

  export class OrderApi {
    constructor(client?: ApiClient);
    placeOrder(body: Record<string, unknown>, apiVersion: string, callback: UpstoxCallback): void;
    modifyOrder(body: Record<string, unknown>, apiVersion: string, callback: UpstoxCallback): void;
    cancelOrder(orderId: string, apiVersion: string, callback: UpstoxCallback): void;
    getOrderBook(apiVersion: string, callback: UpstoxCallback): void;
    getTradesByOrder(orderId: string, apiVersion: string, callback: UpstoxCallback): void;
  }

  export class PortfolioApi {
    constructor(client?: ApiClient);
    getPositions(apiVersion: string, callback: UpstoxCallback): void;
  }

  export class InstrumentsApi {
    constructor(client?: ApiClient);
    searchInstrument(
      query: string,
      opts: { exchanges?: string; segments?: string; records?: number },
      callback: UpstoxCallback,
    ): void;
  }

  export class WebsocketApi {
    constructor(client?: ApiClient);
    getMarketDataFeedAuthorizeV3(callback: UpstoxCallback): void;
    getPortfolioStreamFeedAuthorize(apiVersion: string, callback: UpstoxCallback): void;
  }
}
