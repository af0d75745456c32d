import { base64url } from 'jose';

/**
 * Server-provided DPoP nonces (RFC 9449 §8): a proof must carry a `nonce` the server handed
 * out in a `DPoP-Nonce` header, so a proof cannot be made ahead of time. Stateless: the nonce
 * of each time slot is an HMAC of the slot under a secret, so instances that share the secret
 * accept each other's nonces without sharing state. A nonce is accepted during its slot and the
 * next one (between one and two `lifetimeMs`).
 */
export interface NonceSource {
  /** The nonce of the current slot, for a `DPoP-Nonce` header. */
  current(): Promise<string>;
  /** True for the nonce of the current or the previous slot. */
  accepts(nonce: unknown): Promise<boolean>;
}

/** Options of {@link createNonceSource}. */
export interface NonceSourceOptions {
  /** HMAC secret (at least 32 characters); instances sharing it accept each other's nonces. */
  secret?: string;
  /** Length of a slot, ms. */
  lifetimeMs: number;
  /** The clock in ms. Default `Date.now`. */
  now?: () => number;
}

const encoder = new TextEncoder();

/**
 * A {@link NonceSource}: nonces are base64url(HMAC-SHA256(secret, slot)), computed once per slot.
 * Without a `secret` a random one is made for this process.
 * @example
 * ```ts
 * const nonces = createNonceSource({ lifetimeMs: 300_000 });
 * headers['DPoP-Nonce'] = await nonces.current();
 * ```
 */
export function createNonceSource(options: NonceSourceOptions): NonceSource {
  const now = options.now ?? Date.now;
  const { lifetimeMs } = options;
  const secret =
    options.secret === undefined
      ? crypto.getRandomValues(new Uint8Array(32))
      : encoder.encode(options.secret);
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const bySlot = new Map<number, Promise<string>>();
  function nonceOf(slot: number): Promise<string> {
    let nonce = bySlot.get(slot);
    if (nonce === undefined) {
      nonce = key
        .then((k) => crypto.subtle.sign('HMAC', k, encoder.encode(`dpop-nonce:${slot}`)))
        .then((mac) => base64url.encode(new Uint8Array(mac)));
      // Only the slots in use are kept.
      for (const old of bySlot.keys()) if (old < slot - 1) bySlot.delete(old);
      bySlot.set(slot, nonce);
    }
    return nonce;
  }
  const slotNow = () => Math.floor(now() / lifetimeMs);
  return {
    current: () => nonceOf(slotNow()),
    async accepts(nonce) {
      if (typeof nonce !== 'string' || nonce.length !== 43) return false;
      const slot = slotNow();
      return nonce === (await nonceOf(slot)) || nonce === (await nonceOf(slot - 1));
    },
  };
}
