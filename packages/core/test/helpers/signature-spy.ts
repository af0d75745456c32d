import { vi } from 'vitest';
import { DEFAULT_SIGNATURE_PATH } from '../../src/verify-jwt.js';

type Crypto = { verify: (...args: unknown[]) => unknown };

/**
 * A spy on the signature checks the JWT verifier makes in this runtime: `node:crypto`'s
 * `verify` on the Node path, Web Crypto's `subtle.verify` on jose's.
 */
export function spyOnSignatureChecks() {
  if (DEFAULT_SIGNATURE_PATH === 'node') {
    return vi.spyOn(process.getBuiltinModule('node:crypto') as unknown as Crypto, 'verify');
  }
  return vi.spyOn(crypto.subtle, 'verify');
}
