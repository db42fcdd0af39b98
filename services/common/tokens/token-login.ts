import type { BrokerToken, TokenBroker } from '../../../contract/broker-tokens';
import type { AnyStage } from '../../../contract/names';
import type { TokenSecretStore, TokenSecretsLocation } from './token-secret-store';

/**
 * Where a stage's tokens at a broker live and where the broker answers: what a broker's login
 * implementation is built from. The CLI, the ops functions and the local stack each make one.
 */
export interface TokenLoginTarget {
  readonly stage: AnyStage;
  /** Secrets Manager (the SDK's default credentials) in AWS; a folder on the local stack. */
  readonly secrets: TokenSecretsLocation;
  /** The broker's API root (a simulator's on the local stack). @default the broker's own */
  readonly apiRoot?: string;
  /** The broker's login page (a simulator's on the local stack). @default the broker's own */
  readonly loginUrl?: string;
  /** How long one call to the broker may take. @default 7000 */
  readonly timeoutMs?: number;
  /**
   * The desk's static IP registered with the broker (Angel One's `X-ClientPublicIP`): the egress
   * IP the calls leave from. An Angel One login without it is refused.
   */
  readonly publicIp?: string;
}

/** One named token as its broker sees it. COOLDOWN is the gate's, never a login's. */
export interface TokenStatus {
  readonly name: string;
  /** MISSING: never stored; EXPIRED: past its expiry, or refused by the broker. */
  readonly state: 'VALID' | 'EXPIRED' | 'MISSING';
  readonly userId?: string;
  /** Epoch ms. */
  readonly loginTime?: number;
  /** Epoch ms. */
  readonly expiresAt?: number;
  /** What the broker said to its profile call, its refusal, or why it was not asked. */
  readonly proof: string;
  /** The broker itself answered for this state; false: decided without it (or it was unreachable). */
  readonly proven: boolean;
}

/** What a login stored, without the token itself (nothing secret is ever returned). */
export interface TokenLoginResult {
  readonly name: string;
  readonly userId: string;
  /** ISO 8601. */
  readonly loginTime: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

/** What a logout did for one named token. */
export interface TokenLogoutResult {
  readonly name: string;
  /** LOGGED_OUT: the broker ended the session; NO_TOKEN: none was stored, nothing to log out. */
  readonly outcome: 'LOGGED_OUT' | 'NO_TOKEN';
  readonly userId?: string;
}

/**
 * A broker's login, as the token operations use it. This is the interface each broker's login
 * exchange plugs into (Kite: services/common/kite/kite-token-login.ts; Upstox and Angel One in
 * services/common/upstox|angelone/): `tradeops token login|status`, the token check and the
 * dashboard call nothing else, so a broker registered in token-login-registry.ts works there with
 * no change to them.
 *
 * - `interactive` (Kite, Upstox: OAuth needs a person): `loginLink` is the page the person opens
 *   (never carrying a secret); `exchange` takes what they pasted (the code, or the whole redirect
 *   URL) and trades it for a token.
 * - `unattended` (Angel One: client code + PIN + a TOTP computed from the seed in the app secret):
 *   `exchange` needs nothing pasted, so the token check can renew a token about to expire.
 *
 * `exchange` throws `TokenInputError` for a paste that is not a code, before asking the broker;
 * otherwise it makes ONE attempt and stores the token under `name` only when the broker gave one;
 * it throws with the broker's own words otherwise (the caller starts the cooldown; an
 * implementation never retries). `status` proves each token with the broker's profile call where
 * it has one (`proven: true`), and decides from the stored expiry where it has none or the broker
 * could not be asked (`proven: false`). `logout` ends the named session at the broker (the
 * evening checklist's daily logout); the stored secret stays (the broker refuses it meanwhile, the
 * next login replaces it); it throws, with the broker's words, when the broker could not do it.
 */
export interface BrokerTokenLogin {
  readonly broker: TokenBroker;
  readonly mode: 'interactive' | 'unattended';
  /** Where the secrets live, for messages. */
  readonly where: string;
  /** The login page for the token `name`'s app; an unattended login says how it logs in. */
  loginLink(name: string): Promise<string>;
  exchange(request: {
    readonly name: string;
    /** What the person pasted (interactive only). */
    readonly pasted?: string;
    readonly now: number;
  }): Promise<TokenLoginResult>;
  status(names: readonly string[], now: number): Promise<TokenStatus[]>;
  logout(name: string): Promise<TokenLogoutResult>;
  /** Names of the tokens stored. */
  listTokens(): Promise<string[]>;
}

/**
 * What a person pasted is not a code: thrown by `exchange` BEFORE the broker is asked, so that a
 * typo starts no cooldown.
 */
export class TokenInputError extends Error {
  override readonly name = 'TokenInputError';
}

/**
 * What a person pasted, parsed by `parse`; anything it refuses (or nothing pasted) is a
 * `TokenInputError`, raised before the broker is asked.
 */
export function parsePasted<T>(
  pasted: string | undefined,
  parse: (text: string) => T,
  what: string,
): T {
  try {
    if (pasted === undefined) throw new Error(`nothing pasted: the login needs ${what}`);
    return parse(pasted);
  } catch (error) {
    throw new TokenInputError(error instanceof Error ? error.message : String(error));
  }
}

/** Builds a broker's login for one stage. */
export type BrokerTokenLoginFactory = (target: TokenLoginTarget) => BrokerTokenLogin;

/** A broker's answer to a profile call made with a token. */
export type TokenProof =
  | { readonly outcome: 'VALID'; readonly proof: string }
  /** The broker refuses the token (Kite's TokenException, a 401). */
  | { readonly outcome: 'REFUSED'; readonly proof: string }
  /** The broker could not be asked: the stored expiry decides, unproven. */
  | { readonly outcome: 'UNREACHABLE'; readonly proof: string };

/** What a login reports of the session it stored: never a token. */
export function loginResult(name: string, token: BrokerToken): TokenLoginResult {
  return {
    name,
    userId: token.user_id,
    loginTime: token.login_time,
    expiresAt: token.expires_at,
  };
}

/** A broker's login exchange, proof and logout, on the stage's store of its secrets. */
export interface StoredTokenLoginSpec {
  readonly broker: TokenBroker;
  readonly mode: BrokerTokenLogin['mode'];
  readonly store: Pick<TokenSecretStore, 'where' | 'readToken' | 'listTokens'>;
  loginLink(name: string): Promise<string>;
  exchange: BrokerTokenLogin['exchange'];
  /** The broker's profile call with the stored session `name`. */
  prove(token: BrokerToken, name: string): Promise<TokenProof>;
  /** The broker's logout of the stored session `name`; throws the broker's refusal. */
  end(token: BrokerToken, name: string): Promise<void>;
}

/**
 * A broker's `BrokerTokenLogin` from its exchange, proof and logout: what every broker shares is
 * here once. `status`: MISSING when nothing is stored, EXPIRED by the stored expiry, else the
 * broker's proof (a refusal is EXPIRED in its words; unreachable, the stored expiry decides,
 * unproven). `logout`: NO_TOKEN when nothing is stored, else the broker's logout.
 */
export function storedTokenLogin(spec: StoredTokenLoginSpec): BrokerTokenLogin {
  const { store } = spec;
  const status = (name: string, now: number): Promise<TokenStatus> =>
    store.readToken(name).then(async (stored) => {
      if (!stored)
        return { name, state: 'MISSING', proof: 'no token stored: run token login', proven: false };
      const { token } = stored;
      const base = {
        name,
        userId: token.user_id,
        loginTime: Date.parse(token.login_time),
        expiresAt: Date.parse(token.expires_at),
      };
      if (base.expiresAt <= now)
        return { ...base, state: 'EXPIRED', proof: 'past its expiry', proven: false };
      const answer = await spec.prove(token, name);
      if (answer.outcome === 'REFUSED')
        return { ...base, state: 'EXPIRED', proof: answer.proof, proven: true };
      return { ...base, state: 'VALID', proof: answer.proof, proven: answer.outcome === 'VALID' };
    });
  return {
    broker: spec.broker,
    mode: spec.mode,
    where: store.where,
    loginLink: (name) => spec.loginLink(name),
    exchange: (request) => spec.exchange(request),
    status: (names, now) => Promise.all(names.map((name) => status(name, now))),
    logout: async (name) => {
      const stored = await store.readToken(name);
      if (!stored) return { name, outcome: 'NO_TOKEN' };
      await spec.end(stored.token, name);
      return { name, outcome: 'LOGGED_OUT', userId: stored.token.user_id };
    },
    listTokens: () => store.listTokens(),
  };
}
