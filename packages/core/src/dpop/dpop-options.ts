import { McpAuthConfigError } from '../errors.js';
import { checkChoice, checkInteger, checkList, isRecord } from '../option-checks.js';
import { createNonceSource, type NonceSource } from './nonce.js';
import { createProofKeys } from './proof-keys.js';
import { createMemoryReplayCache, type ReplayCache } from './replay-cache.js';
import type { DpopProofRule } from './verify-dpop-proof.js';

/**
 * The `dpop` option of `createMcpAuth`: DPoP (RFC 9449) on the resource side.
 * @example
 * ```ts
 * createMcpAuth({ ...options, dpop: { mode: 'allowed' } });
 * ```
 */
export interface DpopOptions {
  /**
   * `off` (default): only `Bearer`; a `cnf`-bound token is refused. `allowed`: `Bearer` for
   * unbound tokens and `DPoP` (token + proof) for bound ones. `required`: `DPoP` only; the PRM
   * says `dpop_bound_access_tokens_required: true`.
   */
  mode?: 'off' | 'allowed' | 'required';
  /** Accepted proof `alg` values, asymmetric only. Default {@link DEFAULT_DPOP_ALGORITHMS}. */
  algorithms?: string[];
  /** How far a proof's `iat` may be from the clock, either way, ms. Default 60 000. */
  iatWindowMs?: number;
  /**
   * Where proof identifiers (`jti`) are remembered for replay detection. Default: the
   * `createMcpAuth` `store` when one is given (keys `dpop-jti:…`, shared by every instance),
   * else an in-memory cache for this process (`createMemoryReplayCache`).
   */
  replayCache?: ReplayCache;
  /**
   * Server-provided nonces (RFC 9449 §8): every proof must carry a `nonce` this server handed
   * out in a `DPoP-Nonce` header (a proof without one gets 401 `use_dpop_nonce` with a fresh
   * nonce). `true` for a random secret per process; `{ secret }` (at least 32 characters) so
   * instances sharing it accept each other's nonces; `lifetimeMs` is how long a nonce lasts
   * (it is accepted for one to two lifetimes; default 300 000). Default off.
   */
  nonce?: boolean | { secret?: string; lifetimeMs?: number };
}

/**
 * The default DPoP proof algorithms: ES256, ES384, RS256, PS256, EdDSA.
 * @example
 * ```ts
 * createMcpAuth({ ...options, dpop: { mode: 'allowed', algorithms: [...DEFAULT_DPOP_ALGORITHMS, 'ES512'] } });
 * ```
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'RS256',
  'PS256',
  'EdDSA',
]);

/** Every asymmetric JWS `alg` a proof may be allowed to use (never `none`, never HS*). */
const ASYMMETRIC_ALGORITHMS = new Set([
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
]);

/** The names `dpop` takes, for the "did you mean" check. */
export const DPOP_OPTION_NAMES: ReadonlySet<string> = new Set([
  'mode',
  'algorithms',
  'iatWindowMs',
  'replayCache',
  'nonce',
]);

/** DPoP as `createMcpAuth` applies it: the mode and the proof rule. */
export interface ResolvedDpop {
  readonly mode: 'allowed' | 'required';
  readonly rule: DpopProofRule;
  /** `dpop algs="…"` of the challenges. */
  readonly algs: string;
  /** Server nonces, when on. */
  readonly nonces: NonceSource | undefined;
}

/**
 * Validates `dpop` (a `TypeError` naming the option) and resolves it; `undefined` when off.
 * @example
 * ```ts
 * const dpop = resolveDpopOptions({ mode: 'required' });
 * ```
 */
export function resolveDpopOptions(
  dpop: unknown,
  sharedCache?: ReplayCache,
): ResolvedDpop | undefined {
  if (dpop === undefined) return undefined;
  if (!isRecord(dpop)) throw new McpAuthConfigError('dpop', 'must be an object');
  checkChoice(dpop.mode, 'dpop.mode', ['off', 'allowed', 'required']);
  checkList(
    dpop.algorithms,
    'dpop.algorithms',
    (a) => typeof a === 'string' && ASYMMETRIC_ALGORITHMS.has(a),
    {
      list: 'must be a list of asymmetric JWS algorithms',
      item: `must contain only asymmetric JWS algorithms (${[...ASYMMETRIC_ALGORITHMS].join(', ')}); never none or HS*`,
      nonEmpty: 'must list at least one algorithm',
    },
  );
  checkInteger(dpop.iatWindowMs, 'dpop.iatWindowMs', 1_000, 3_600_000);
  const { replayCache } = dpop;
  if (
    replayCache !== undefined &&
    (!isRecord(replayCache) || typeof replayCache.setIfAbsent !== 'function')
  ) {
    throw new McpAuthConfigError(
      'dpop.replayCache',
      'must be an object with a setIfAbsent(key, ttlMs) method',
    );
  }
  const nonces = resolveNonce(dpop.nonce);
  const mode = (dpop.mode ?? 'off') as DpopOptions['mode'];
  if (mode === 'off') return undefined;
  const algorithms = [...((dpop.algorithms as string[] | undefined) ?? DEFAULT_DPOP_ALGORITHMS)];
  return {
    mode: mode as 'allowed' | 'required',
    rule: {
      algorithms,
      iatWindowMs: (dpop.iatWindowMs as number | undefined) ?? 60_000,
      replayCache:
        (replayCache as ReplayCache | undefined) ?? sharedCache ?? createMemoryReplayCache(),
      keys: createProofKeys(),
      ...(nonces === undefined ? {} : { nonces }),
    },
    algs: algorithms.join(' '),
    nonces,
  };
}

/** `dpop.nonce` checked and turned into a nonce source (`undefined` when off). */
function resolveNonce(nonce: unknown): NonceSource | undefined {
  if (nonce === undefined || nonce === false) return undefined;
  if (nonce === true) return createNonceSource({ lifetimeMs: DEFAULT_NONCE_LIFETIME_MS });
  if (!isRecord(nonce)) {
    throw new McpAuthConfigError('dpop.nonce', 'must be true, false or { secret?, lifetimeMs? }');
  }
  for (const name of Object.keys(nonce)) {
    if (name !== 'secret' && name !== 'lifetimeMs') {
      throw new McpAuthConfigError(
        `dpop.nonce.${name}`,
        'is not a known option (secret, lifetimeMs)',
      );
    }
  }
  const { secret, lifetimeMs } = nonce;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 32)) {
    throw new McpAuthConfigError('dpop.nonce.secret', 'must be a string of at least 32 characters');
  }
  checkInteger(lifetimeMs, 'dpop.nonce.lifetimeMs', 1_000, 86_400_000);
  return createNonceSource({
    ...(secret === undefined ? {} : { secret: secret as string }),
    lifetimeMs: (lifetimeMs as number | undefined) ?? DEFAULT_NONCE_LIFETIME_MS,
  });
}

/** Default `dpop.nonce.lifetimeMs`: five minutes. */
const DEFAULT_NONCE_LIFETIME_MS = 300_000;
