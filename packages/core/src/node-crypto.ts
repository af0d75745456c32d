import type { CryptoKey as JoseCryptoKey } from 'jose';

/** The part of `node:crypto` the Node signature path uses. */
export interface NodeSignatureCrypto {
  verify(
    algorithm: string | null,
    data: Uint8Array,
    key: unknown,
    signature: Uint8Array,
    callback?: (error: Error | null, valid: boolean) => void,
  ): boolean;
  KeyObject: { from(key: JoseCryptoKey): unknown };
  constants: { RSA_PKCS1_PSS_PADDING: number };
}

type Runtime = {
  process?: {
    release?: { name?: unknown };
    versions?: Record<string, unknown>;
    getBuiltinModule?: (id: string) => unknown;
  };
  navigator?: { userAgent?: unknown };
};

/**
 * `node:crypto` when the process is Node.js itself, reached through `process.getBuiltinModule`
 * (no `node:` import, so the core stays runtime-neutral); `undefined` elsewhere. Bun and Deno
 * call themselves `node` in `process.release` and offer a partial `node:crypto`; workerd's
 * Node compatibility does too: they keep jose's Web Crypto path.
 *
 * @example
 * ```ts
 * const crypto = findNodeSignatureCrypto(); // undefined on Bun, Deno, Workers, browsers
 * ```
 */
export function findNodeSignatureCrypto(): NodeSignatureCrypto | undefined {
  const { process, navigator } = globalThis as Runtime;
  if (process?.release?.name !== 'node' || typeof process.getBuiltinModule !== 'function') {
    return undefined;
  }
  const versions = process.versions;
  if (typeof versions?.node !== 'string' || versions.bun !== undefined) return undefined;
  if (versions.deno !== undefined) return undefined;
  const agent = navigator?.userAgent;
  if (typeof agent === 'string' && !agent.startsWith('Node.js')) return undefined;
  let crypto: Partial<NodeSignatureCrypto> | undefined;
  try {
    crypto = process.getBuiltinModule('node:crypto') as Partial<NodeSignatureCrypto> | undefined;
  } catch {
    return undefined;
  }
  if (
    typeof crypto?.verify !== 'function' ||
    typeof crypto.KeyObject?.from !== 'function' ||
    typeof crypto.constants?.RSA_PKCS1_PSS_PADDING !== 'number'
  ) {
    return undefined;
  }
  return crypto as NodeSignatureCrypto;
}
