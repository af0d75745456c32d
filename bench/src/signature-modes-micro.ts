/**
 * The in-process half of `signature-modes.ts`, run as plain JavaScript in its own process:
 * ops/s of one cold verification (no cache) for each signature path, one caller at a time and
 * 32 in flight, beside the bare `crypto.verify` floor. Prints one JSON line.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { createTestIssuer } from '@org/mcp-auth-testing';
import { createRemoteKeySet } from '../../packages/core/src/remote-key-set.js';
import { resolveJwtOptions } from '../../packages/core/src/resolve-jwt-options.js';
import { createJwtVerification } from '../../packages/core/src/verify-jwt.js';
import { median } from './stats.js';

const RESOURCE = 'http://127.0.0.1/mcp';
const MS = Number(process.argv[2] ?? 400);
const ROUNDS = Number(process.argv[3] ?? 5);
export const MODES = [
  ['jose', 'jose', 'sync'],
  ['node sync', 'node', 'sync'],
  ['node callback', 'node', 'callback'],
  ['node auto (default)', 'node', 'auto'],
] as const;

async function opsPerSecond(fn: () => unknown, inFlight: number): Promise<number> {
  let count = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() - start < MS) {
        await fn();
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

const issuer = await createTestIssuer({
  issuer: 'https://auth.example.com',
  audience: RESOURCE,
  algorithms: ['ES256', 'RS256'],
});
const rows: Array<Record<string, unknown>> = [];
for (const alg of ['ES256', 'RS256'] as const) {
  const token = await issuer.mintAccessToken({ key: alg });
  const jwk = issuer.jwks().keys.find((k) => k.kid === issuer.key(alg).kid);
  const [head, payload, signature] = token.split('.') as [string, string, string];
  const data = Buffer.from(`${head}.${payload}`);
  const sig = Buffer.from(signature, 'base64url');
  const key = createPublicKey({ key: jwk as never, format: 'jwk' });
  const input = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  const floor = async () => {
    if (!nodeVerify('sha256', data, input, sig)) throw new Error('floor failed');
  };
  const options = resolveJwtOptions({
    issuer: issuer.issuer,
    resource: RESOURCE,
    fetch: issuer.fetch,
  });
  const verifiers = MODES.map(([, path, mode]) => {
    const keySet = createRemoteKeySet({
      issuer: options.issuer,
      fetch: options.fetch,
      timeoutMs: 5_000,
      cooldownMs: 30_000,
      maxResponseBytes: options.maxResponseBytes,
    });
    return createJwtVerification(options, keySet, path, mode);
  });
  for (const v of verifiers) await v(token);
  for (const inFlight of [1, 32]) {
    const samples = [[], ...MODES.map(() => [])] as number[][];
    for (let r = 0; r < ROUNDS; r++) {
      (samples[0] as number[]).push(await opsPerSecond(floor, inFlight));
      for (const [i, v] of verifiers.entries()) {
        (samples[i + 1] as number[]).push(await opsPerSecond(() => v(token), inFlight));
      }
    }
    const floorOps = median(samples[0] as number[]);
    rows.push({
      alg,
      inFlight,
      floor: floorOps,
      ...Object.fromEntries(MODES.map(([name], i) => [name, median(samples[i + 1] as number[])])),
    });
  }
}
console.log(JSON.stringify(rows));
