/**
 * In-process micro benchmarks: ops/s of one token verification, per algorithm.
 * floor = bare node:crypto signature check; jose = jwtVerify with a local key; ours cold =
 * createJwtVerifier with the cache off; ours warm = cache hit (keyed by the SHA-256 the core
 * picks itself: node:crypto through process.getBuiltinModule on Node).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { createJwtVerifier } from '@org/mcp-auth-core';
import { createTestIssuer, type TestKeyAlgorithm } from '@org/mcp-auth-testing';
import { importJWK, jwtVerify } from 'jose';
import { median } from './stats.js';

export const ALGORITHMS: TestKeyAlgorithm[] = ['ES256', 'RS256', 'EdDSA'];
const RESOURCE = 'http://localhost/mcp';

/** One round's ops/s of each measured function. */
export interface MicroOps {
  floorOps: number;
  joseOps: number;
  coldOps: number;
  warmNodeOps: number;
}

/** The median ops/s over the rounds, and every round (for per-round ratios). */
export interface MicroRow extends MicroOps {
  alg: string;
  rounds: MicroOps[];
}

/** Runs `fn` back to back for `ms`, `rounds` times; the median ops/s. */
async function opsPerSecond(fn: () => unknown, ms: number, rounds: number): Promise<number> {
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let count = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < 16; i++) await fn();
      count += 16;
      now = performance.now();
    }
    results.push((count * 1000) / (now - start));
  }
  return median(results);
}

export async function runMicro(options: { ms: number; rounds: number }): Promise<MicroRow[]> {
  const issuer = await createTestIssuer({
    issuer: 'https://auth.example.com',
    audience: RESOURCE,
    algorithms: ALGORITHMS,
    scope: 'todo:read todo:write',
  });
  const rows: MicroRow[] = [];
  for (const alg of ALGORITHMS) {
    const token = await issuer.mintAccessToken({ key: alg });
    const jwk = issuer.jwks().keys.find((k) => k.kid === issuer.key(alg).kid);
    if (!jwk) throw new Error(`no JWK for ${alg}`);
    const [head, payload, signature] = token.split('.') as [string, string, string];
    const signingInput = Buffer.from(`${head}.${payload}`);
    const sig = Buffer.from(signature, 'base64url');
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    const nodeAlg = alg === 'EdDSA' ? null : 'sha256';
    const keyInput =
      alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
    const floor = () => {
      if (!nodeVerify(nodeAlg, signingInput, keyInput, sig)) throw new Error('floor failed');
    };
    const joseKey = await importJWK(jwk, alg);
    const joseOptions = { issuer: issuer.issuer, audience: RESOURCE, typ: 'at+jwt' };
    const jose = () => jwtVerify(token, joseKey, joseOptions);
    const base = { issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch };
    const cold = createJwtVerifier({ ...base, cache: false });
    const warmNode = createJwtVerifier(base);
    for (const v of [cold, warmNode]) await v.verifyAccessToken(token); // load keys, fill cache
    await warmNode.verifyAccessToken(token);
    const { ms, rounds } = options;
    // Interleave the measured functions round by round so drift hits all of them alike, and
    // ratios (cold / floor) can be taken pair by pair within a round.
    const measured: MicroOps[] = [];
    for (let r = 0; r < rounds; r++) {
      measured.push({
        floorOps: await opsPerSecond(floor, ms, 1),
        joseOps: await opsPerSecond(jose, ms, 1),
        coldOps: await opsPerSecond(() => cold.verifyAccessToken(token), ms, 1),
        warmNodeOps: await opsPerSecond(() => warmNode.verifyAccessToken(token), ms, 1),
      });
    }
    const over = (key: keyof MicroOps) => median(measured.map((m) => m[key]));
    rows.push({
      alg,
      floorOps: over('floorOps'),
      joseOps: over('joseOps'),
      coldOps: over('coldOps'),
      warmNodeOps: over('warmNodeOps'),
      rounds: measured,
    });
  }
  return rows;
}
