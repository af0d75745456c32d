import { calculateJwkThumbprint, EmbeddedJWK, type JWK, type JWSHeaderParameters } from 'jose';
import { ClockMap } from '../clock-map.js';

/** A proof key ready to verify with, and its RFC 7638 thumbprint. */
export interface ProofKey {
  readonly key: CryptoKey;
  readonly jkt: string;
}

/** How many imported proof keys are kept. */
const MAX_KEYS = 1_000;
/** A `jwk` longer than this (as JSON) is imported every time rather than kept. */
const MAX_KEPT_JWK_CHARS = 4_096;

/**
 * Imported DPoP proof keys, by `alg` and the exact JSON of the `jwk` header: a client signs
 * every request with the same key, and importing it (and hashing its thumbprint) costs as much
 * as checking the signature. Bounded (CLOCK eviction); the same JSON always means the same key,
 * so a hit can never hand back another key. Import goes through jose's `EmbeddedJWK`, which
 * refuses private keys, a `use` other than `sig` and an `alg` other than the header's.
 *
 * @example
 * ```ts
 * const keys = createProofKeys();
 * const { key, jkt } = await keys.get(protectedHeader);
 * ```
 */
export function createProofKeys(): { get(header: JWSHeaderParameters): Promise<ProofKey> } {
  const kept = new ClockMap<ProofKey>();
  return {
    async get(header) {
      const json = JSON.stringify(header.jwk);
      const id = `${String(header.alg)}\u0000${json}`;
      const hit = kept.get(id);
      if (hit !== undefined) return hit;
      const key = (await EmbeddedJWK(header, undefined as never)) as CryptoKey;
      const jkt = await calculateJwkThumbprint(header.jwk as JWK, 'sha256');
      const entry = { key, jkt };
      if (json.length <= MAX_KEPT_JWK_CHARS) {
        while (kept.size >= MAX_KEYS && kept.evict() !== undefined) {}
        kept.set(id, entry);
      }
      return entry;
    },
  };
}
