/**
 * The official `smartapi-javascript` SDK (1.0.27), made safe to run in a trading task. Its traps,
 * and how each is handled here without forking the package:
 *
 * - The `SmartAPI` constructor asks `public-ip` for the machine's address over the internet
 *   (OpenDNS, then icanhazip) and leaves a failure unhandled, which kills Node. `public-ip`'s `v4`
 *   is replaced on its module object (the very one the SDK requires: there is one copy, hoisted)
 *   by the desk's configured static IP; the constructor is checked to have called ours.
 * - It builds its headers (`X-ClientLocalIP`, `X-ClientPublicIP`, `X-MACAddress`) before that
 *   lookup resolves, so every request says `X-ClientPublicIP: null`. Its private axios (0.20, in
 *   `smartapi-javascript/node_modules`) gets a wrapped `create`: each instance the SDK makes gains
 *   a request interceptor that sets the three headers to the desk's values.
 * - Its response interceptor swallows HTTP errors into `{status, message: statusText}` (the body
 *   lost) and a timeout or refused connection into `{}`; and `generateToken` then reads
 *   `response.data.jwtToken` of such an answer in a handler nobody catches (an unhandled
 *   rejection: Node exits). Ours runs before it and answers an HTTP error as Angel's envelope
 *   (its own body when it is one, else `errorcode: "HTTP <n>"` with the body's first 200
 *   characters), which the SDK passes through untouched; `angelOutcome` treats anything that is
 *   not the envelope (the `{}` of a timeout) as no answer.
 * - Its winston logger writes every failed request, headers (the JWT, the API key) and body (the
 *   PIN, the TOTP) included, to `./error.log`. It is silenced at load (all transports removed);
 *   the empty file winston opens on load remains.
 * - `root` is honoured, so the simulator is reached by configuration alone.
 */
import * as z from 'zod';

/** The machine identity Angel One's headers carry; the public IP is the desk's registered one. */
export interface DeskNetwork {
  /** The static IP registered with Angel One (SEBI's rule for API orders). */
  readonly publicIp: string;
  /** @default 127.0.0.1 */
  readonly localIp?: string;
  /** @default 02:00:00:00:00:01 (a locally administered address: the task has no stable MAC) */
  readonly macAddress?: string;
}

/** The SDK methods the desk calls; every one resolves (the SDK never rejects). */
export interface SmartApiClient {
  generateSession(clientCode: string, password: string, totp: string): Promise<unknown>;
  generateToken(refreshToken: string): Promise<unknown>;
  logout(clientCode: string): Promise<unknown>;
  getProfile(): Promise<unknown>;
  placeOrder(params: Record<string, string>): Promise<unknown>;
  modifyOrder(params: Record<string, string>): Promise<unknown>;
  cancelOrder(params: Record<string, string>): Promise<unknown>;
  getOrderBook(): Promise<unknown>;
  getTradeBook(): Promise<unknown>;
  getPosition(): Promise<unknown>;
  searchScrip(params: { exchange: string; searchscrip: string }): Promise<unknown>;
  setAccessToken(token: string): void;
}

export interface SmartApiOptions {
  readonly apiKey: string;
  /** @default https://apiconnect.angelone.in */
  readonly root?: string;
  /** The SDK's per-request timeout. @default 4000 */
  readonly timeoutMs?: number;
  readonly accessToken?: string;
  readonly network: DeskNetwork;
}

type Headers = Record<string, unknown>;
interface HttpResponse {
  readonly status: number;
  readonly statusText?: string;
  readonly data?: unknown;
}
interface AxiosInstanceLike {
  interceptors: {
    request: { use(fulfilled: (config: { headers: Headers }) => unknown): void };
    response: {
      use(fulfilled: (response: unknown) => unknown, rejected: (error: unknown) => unknown): void;
    };
  };
}

const sdk = require('smartapi-javascript') as {
  SmartAPI: new (params: Record<string, unknown>) => SmartApiClient;
};
const sdkAxios = require('smartapi-javascript/node_modules/axios') as {
  create(config: unknown): AxiosInstanceLike;
};
const publicIp = require('public-ip') as { v4: () => Promise<string> };
const winstonLog = require('smartapi-javascript/lib/winston_log') as {
  errorLogger: { clear(): void; silent: boolean };
};
/** The SDK's WebSocket URLs (its sockets cannot be pointed elsewhere; ours take these defaults). */
export const SMARTAPI_URLS = (
  require('smartapi-javascript/config/constant') as {
    CONSTANTS: { websocketURL: string; wsclientupdatesURL: string };
  }
).CONSTANTS;

winstonLog.errorLogger.clear();
winstonLog.errorLogger.silent = true;

/** The network of the client being built: the constructor runs synchronously, so this is it. */
let building: { network: DeskNetwork; wrapped: boolean; askedIp: boolean } | undefined;

publicIp.v4 = async () => {
  if (building) building.askedIp = true;
  return building?.network.publicIp ?? '0.0.0.0';
};

const create = sdkAxios.create.bind(sdkAxios);
sdkAxios.create = (config: unknown) => {
  const instance = create(config);
  if (!building) return instance;
  building.wrapped = true;
  const { publicIp: ip, localIp, macAddress } = building.network;
  instance.interceptors.request.use((request) => {
    request.headers['X-ClientPublicIP'] = ip;
    request.headers['X-ClientLocalIP'] = localIp ?? '127.0.0.1';
    request.headers['X-MACAddress'] = macAddress ?? '02:00:00:00:00:01';
    return request;
  });
  instance.interceptors.response.use(
    (response) => response,
    (error: unknown) => {
      const response = (error as { response?: HttpResponse }).response;
      if (!response) return Promise.reject(error);
      return { ...response, data: errorEnvelope(response) };
    },
  );
  return instance;
};

/**
 * An HTTP error as Angel's envelope: its own body when it is one, else `errorcode: "HTTP <n>"`
 * with the status text and the first 200 characters of the body.
 */
function errorEnvelope(response: HttpResponse): unknown {
  if (EnvelopeSchema.safeParse(response.data).success) return response.data;
  const body =
    typeof response.data === 'string' ? response.data : JSON.stringify(response.data ?? '');
  return {
    status: false,
    errorcode: `HTTP ${response.status}`,
    message: `${response.statusText ?? ''}: ${body.replace(/\s+/g, ' ').slice(0, 200)}`,
    data: null,
  };
}

/** A SmartAPI client on `root` whose requests carry the desk's network identity. */
export function createSmartApi(options: SmartApiOptions): SmartApiClient {
  building = { network: options.network, wrapped: false, askedIp: false };
  try {
    const client = new sdk.SmartAPI({
      api_key: options.apiKey,
      root: options.root?.replace(/\/+$/, ''),
      timeout: options.timeoutMs ?? 4000,
      access_token: options.accessToken,
    });
    if (!building.wrapped || !building.askedIp)
      throw new Error(
        'smartapi-javascript did not use the wrapped axios and public-ip (a second copy of either in node_modules?): refusing to send requests with unknown headers',
      );
    return client;
  } finally {
    building = undefined;
  }
}

/** How a failed call counts: see `VenueErrorKind`. */
export type AngelFailureKind = 'token' | 'transient' | 'refused';

/** A call Angel One refused, or did not answer, in its own words. */
export interface AngelFailure {
  readonly ok: false;
  readonly kind: AngelFailureKind;
  /** Angel's `errorcode` (AG8001, AB1050), `HTTP 429`, or `NO_ANSWER`. */
  readonly code: string;
  readonly message: string;
}

/**
 * Angel One's codes for a session that is no longer good: AG8001 Invalid Token, AG8002 Token
 * Expired, AG8003 Token Missing, AB1010 AMX Session Expired, AB1011 Client not login, AB8050
 * Invalid Refresh Token, AB8051 Refresh Token Expired (SmartAPI's documented error codes).
 */
export const ANGEL_TOKEN_CODES: ReadonlySet<string> = new Set([
  'AG8001',
  'AG8002',
  'AG8003',
  'AB1010',
  'AB1011',
  'AB8050',
  'AB8051',
]);
/** "Something Went Wrong, Please Try After Sometime", "Internal Error": Angel's own failures. */
const ANGEL_TRANSIENT_CODES: ReadonlySet<string> = new Set(['AB1004', 'AB2000', 'AB2001']);
/** The gateway's throttle, whatever status it comes with. */
const RATE_WORDS = /exceeding access rate/i;

const EnvelopeSchema = z.union([
  z.object({ status: z.literal(true), data: z.unknown() }).passthrough(),
  z
    .object({
      status: z.literal(false),
      message: z.string().default(''),
      errorcode: z.string().nullish(),
      errorCode: z.string().nullish(),
    })
    .passthrough(),
  // The token refusal comes as `{success:false, message:'Invalid Token', errorCode:'AG8001'}`.
  z
    .object({
      success: z.literal(false),
      message: z.string().default(''),
      errorCode: z.string().nullish(),
    })
    .passthrough(),
]);
function failure(kind: AngelFailureKind, code: string, message: string): AngelFailure {
  return { ok: false, kind, code, message };
}

/**
 * What an SDK call resolved with: the `data` of a `{status:true}` envelope, or a failure in
 * Angel's words. An answer that is not the envelope (`{}` from a timeout or refused connection,
 * a string, an HTTP status) is no answer: nothing is known about what the call did.
 */
export function angelOutcome(raw: unknown): { ok: true; data: unknown } | AngelFailure {
  const envelope = EnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    if (typeof raw === 'string' && RATE_WORDS.test(raw)) return failure('transient', 'RATE', raw);
    return failure(
      'transient',
      'NO_ANSWER',
      'no answer from Angel One (timeout, refused connection or a body that is not its envelope)',
    );
  }
  const value = envelope.data as Record<string, unknown>;
  if (value.status === true) return { ok: true, data: value.data };
  const code = String(value.errorcode || value.errorCode || 'NO_CODE');
  const message = String(value.message ?? '');
  if (ANGEL_TOKEN_CODES.has(code) || code === 'HTTP 401') return failure('token', code, message);
  if (
    ANGEL_TRANSIENT_CODES.has(code) ||
    RATE_WORDS.test(message) ||
    /^HTTP (429|5\d\d)$/.test(code)
  )
    return failure('transient', code, message);
  return failure('refused', code, message);
}
