/**
 * The Node signature path against jose's Web Crypto path: tens of thousands of tokens — valid
 * ones of every algorithm and mutations of them — through both; they must accept and reject
 * exactly the same set, for the same reasons. Node only (the edge run has no `node:crypto`).
 */
import { constants, generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { isMcpAuthError } from '../src/errors.js';
import { findNodeSignatureCrypto } from '../src/node-crypto.js';
import { createNodeSignatureCheck } from '../src/node-signatures.js';
import { createRemoteKeySet } from '../src/remote-key-set.js';
import { DEFAULT_ALGORITHMS, resolveJwtOptions } from '../src/resolve-jwt-options.js';
import type { AuthInfo } from '../src/types.js';
import { createJwtVerification, DEFAULT_SIGNATURE_PATH } from '../src/verify-jwt.js';

const ISSUER = 'https://issuer.example';
const RESOURCE = 'https://mcp.example.com/mcp';
const JWKS_URI = 'https://issuer.example/jwks';
/** Every algorithm the verifier supports: the defaults, ES512 and Ed25519. */
const ALGORITHMS = [...DEFAULT_ALGORITHMS, 'ES512', 'Ed25519'];

/** A seeded PRNG (mulberry32): the same tokens on every run, so a failure can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(0x5eed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const json = (value: unknown) => b64(JSON.stringify(value));

// -- keys ------------------------------------------------------------------------------------

interface Key {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function rsaKey(kid: string, bits: number, publicExponent = 65537): Key {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicExponent,
  });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid } };
}
function ecKey(kid: string, namedCurve: string): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid } };
}
function edKey(kid: string): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid } };
}

const keys = {
  rsa: rsaKey('rsa', 2048),
  rsaB: rsaKey('rsa-b', 2048),
  rsa3072: rsaKey('rsa-3072', 3072),
  rsaSmall: rsaKey('rsa-1024', 1024),
  rsaE3: rsaKey('rsa-e3', 2048, 3),
  p256: ecKey('p256', 'prime256v1'),
  p256b: ecKey('p256-b', 'prime256v1'),
  p384: ecKey('p384', 'secp384r1'),
  p521: ecKey('p521', 'secp521r1'),
  ed: edKey('ed'),
  edB: edKey('ed-b'),
  noKidA: ecKey('', 'prime256v1'),
  noKidB: ecKey('', 'prime256v1'),
};
/** Copies of keys under other kids, with the member that decides whether jose may use them. */
const variants: Record<string, Record<string, unknown>> = {
  'rsa-alg-rs256': { ...keys.rsa.jwk, kid: 'rsa-alg-rs256', alg: 'RS256' },
  'rsa-alg-ps256': { ...keys.rsa.jwk, kid: 'rsa-alg-ps256', alg: 'PS256' },
  'p256-use-sig': { ...keys.p256.jwk, kid: 'p256-use-sig', use: 'sig' },
  'p256-use-enc': { ...keys.p256.jwk, kid: 'p256-use-enc', use: 'enc' },
  'p256-ops-verify': { ...keys.p256.jwk, kid: 'p256-ops-verify', key_ops: ['verify'] },
  'p256-ops-sign': { ...keys.p256.jwk, kid: 'p256-ops-sign', key_ops: ['sign'] },
  'p256-ops-both': { ...keys.p256.jwk, kid: 'p256-ops-both', key_ops: ['sign', 'verify'] },
  'p256-ops-twice': { ...keys.p256.jwk, kid: 'p256-ops-twice', key_ops: ['verify', 'verify'] },
  'p256-ext-false': { ...keys.p256.jwk, kid: 'p256-ext-false', ext: false },
  'p256-ext-string': { ...keys.p256.jwk, kid: 'p256-ext-string', ext: 'yes' },
  'p256-as-p384': { ...keys.p256.jwk, kid: 'p256-as-p384', crv: 'P-384' },
  'p256-private': {
    ...keys.p256.privateKey.export({ format: 'jwk' }),
    kid: 'p256-private',
  },
  'ed-as-x25519': { ...keys.ed.jwk, kid: 'ed-as-x25519', crv: 'X25519' },
  'rsa-as-ec': { ...keys.rsa.jwk, kid: 'rsa-as-ec', kty: 'EC' },
};
const noKid = (jwk: Record<string, unknown>) => {
  const { kid: _kid, ...rest } = jwk;
  return rest;
};
const JWKS = {
  keys: [
    ...Object.values(keys)
      .filter((k) => k.kid !== '')
      .map((k) => k.jwk),
    ...Object.values(variants),
    noKid(keys.noKidA.jwk),
    noKid(keys.noKidB.jwk),
  ],
};

// -- signatures ------------------------------------------------------------------------------

const HASH: Record<string, string> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };
const bitsOf = (alg: string) => alg.slice(-3);

/** The JWS signature of `input` under `alg` with `key`; PSS salt and ECDSA encoding adjustable. */
function signWith(
  alg: string,
  key: KeyObject,
  input: string,
  options: { saltLength?: number; der?: boolean } = {},
): Buffer {
  const data = Buffer.from(input);
  if (alg === 'EdDSA' || alg === 'Ed25519') return nodeSign(null, data, key);
  const hash = HASH[bitsOf(alg)] as string;
  if (alg.startsWith('RS')) return nodeSign(hash, data, key);
  if (alg.startsWith('PS')) {
    return nodeSign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: options.saltLength ?? Number(bitsOf(alg)) / 8,
    });
  }
  return nodeSign(hash, data, { key, dsaEncoding: options.der ? 'der' : 'ieee-p1363' });
}

const ORDERS: Record<string, bigint> = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384:
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The other valid ECDSA signature of the same message: `s` replaced by `n − s` (high S). */
function highS(alg: string, signature: Buffer): Buffer {
  const n = ORDERS[alg] as bigint;
  const half = signature.length / 2;
  const s = BigInt(`0x${toHex(signature.subarray(half))}`);
  const flipped = (n - s).toString(16).padStart(half * 2, '0');
  return Buffer.concat([signature.subarray(0, half), Buffer.from(flipped, 'hex')]);
}

const SIGNER: Record<string, Key> = {
  RS256: keys.rsa,
  RS384: keys.rsa3072,
  RS512: keys.rsa,
  PS256: keys.rsa,
  PS384: keys.rsa3072,
  PS512: keys.rsa,
  ES256: keys.p256,
  ES384: keys.p384,
  ES512: keys.p521,
  EdDSA: keys.ed,
  Ed25519: keys.edB,
};

const now = () => Math.floor(Date.now() / 1000);
function claims(i: number, extra: Record<string, unknown> = {}) {
  return {
    iss: ISSUER,
    aud: RESOURCE,
    sub: `user-${i}`,
    client_id: `client-${i % 7}`,
    scope: i % 3 === 0 ? 'todo:read' : 'todo:read todo:write',
    iat: now(),
    exp: now() + 3600,
    jti: `jti-${i}`,
    ...extra,
  };
}

/** A token with `header` and `payload` (objects or raw encoded text), signed with `key`. */
function token(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  key: KeyObject,
  alg: string,
  options: { saltLength?: number; der?: boolean } = {},
): string {
  const h = typeof header === 'string' ? header : json(header);
  const p = typeof payload === 'string' ? payload : json(payload);
  return `${h}.${p}.${b64(signWith(alg, key, `${h}.${p}`, options))}`;
}

// -- the token corpus ------------------------------------------------------------------------

interface Case {
  kind: string;
  token: string;
}

function flipBit(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  if (copy.length === 0) return copy;
  const i = Math.floor(next() * copy.length);
  copy[i] = (copy[i] as number) ^ (1 << Math.floor(next() * 8));
  return copy;
}
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function changeChar(text: string): string {
  if (text.length === 0) return pick([...ALPHABET]);
  const i = Math.floor(next() * text.length);
  let c = pick([...ALPHABET]);
  while (c === text[i]) c = pick([...ALPHABET]);
  return `${text.slice(0, i)}${c}${text.slice(i + 1)}`;
}

function corpus(basesPerAlg: number, flipsPerBase: number): Case[] {
  const cases: Case[] = [];
  const add = (kind: string, t: string) => cases.push({ kind, token: t });
  let serial = 0;
  for (const alg of ALGORITHMS) {
    const signer = SIGNER[alg] as Key;
    const header = { alg, typ: 'at+jwt', kid: signer.kid };
    for (let b = 0; b < basesPerAlg; b++) {
      const valid = token(header, claims(serial++), signer.privateKey, alg);
      add(`valid ${alg}`, valid);
      const [h, p, s] = valid.split('.') as [string, string, string];
      const raw = (part: string) => Buffer.from(part, 'base64url');
      for (let f = 0; f < flipsPerBase; f++) {
        add('bit flip: header', `${b64(flipBit(raw(h)))}.${p}.${s}`);
        add('bit flip: payload', `${h}.${b64(flipBit(raw(p)))}.${s}`);
        add('bit flip: signature', `${h}.${p}.${b64(flipBit(raw(s)))}`);
        add(
          'changed character',
          [h, p, s].map((x, i) => (i === f % 3 ? changeChar(x) : x)).join('.'),
        );
      }
      // Another algorithm named over the same signature, and the same key under another kid.
      const other = pick(ALGORITHMS.filter((a) => a !== alg));
      add('swapped alg', `${json({ ...header, alg: other })}.${p}.${s}`);
      const kid = pick([...Object.values(keys).map((k) => k.kid), ...Object.keys(variants)]);
      add('other kid', `${json({ ...header, kid })}.${p}.${s}`);
      add('no kid', `${json({ alg, typ: 'at+jwt' })}.${p}.${s}`);
      // Truncated, extended and empty signatures.
      const sig = raw(s);
      add('signature truncated by one byte', `${h}.${p}.${b64(sig.subarray(0, -1))}`);
      add('signature cut in half', `${h}.${p}.${b64(sig.subarray(0, sig.length >> 1))}`);
      add('signature extended', `${h}.${p}.${b64(Buffer.concat([sig, Buffer.from([0])]))}`);
      add(
        'signature with a leading zero',
        `${h}.${p}.${b64(Buffer.concat([Buffer.from([0]), sig]))}`,
      );
      add('signature empty', `${h}.${p}.`);
      add('signature of impossible length', `${h}.${p}.${s}A`);
      if (alg.startsWith('ES')) {
        add('ECDSA high S', `${h}.${p}.${b64(highS(alg, sig))}`);
        add('ECDSA DER', token(header, claims(serial++), signer.privateKey, alg, { der: true }));
      }
      if (alg.startsWith('PS')) {
        const expected = Number(bitsOf(alg)) / 8;
        for (const saltLength of [0, 20, expected - 1, expected + 1, 64]) {
          if (saltLength === expected) continue;
          add(
            `PSS salt ${saltLength}`,
            token(header, claims(serial++), signer.privateKey, alg, { saltLength }),
          );
        }
      }
    }
    // Signed correctly, refused (or not) for what the header or claims say.
    const signed = (
      kind: string,
      h: Record<string, unknown> | string,
      p: Record<string, unknown> | string,
      k = signer,
    ) => add(kind, token(h, p, k.privateKey, alg));
    const c = () => claims(serial++);
    signed('typ JWT', { ...header, typ: 'JWT' }, c());
    signed('typ application/at+jwt', { ...header, typ: 'application/at+JWT' }, c());
    signed('typ missing', { alg, kid: signer.kid }, c());
    signed('crit b64 false', { ...header, crit: ['b64'], b64: false }, c());
    signed('crit b64 true', { ...header, crit: ['b64'], b64: true }, c());
    signed('crit b64 twice', { ...header, crit: ['b64', 'b64'], b64: true }, c());
    signed('crit b64 not boolean', { ...header, crit: ['b64'], b64: 'no' }, c());
    signed('crit b64 missing', { ...header, crit: ['b64'] }, c());
    signed('crit unknown', { ...header, crit: ['exp'], exp: 1 }, c());
    signed('crit empty', { ...header, crit: [] }, c());
    signed('crit not an array', { ...header, crit: 'b64' }, c());
    signed('crit empty string', { ...header, crit: [''] }, c());
    signed('b64 false without crit', { ...header, b64: false }, c());
    signed('alg none', { ...header, alg: 'none' }, c());
    signed('alg HS256', { ...header, alg: 'HS256' }, c());
    signed('alg missing', { typ: 'at+jwt', kid: signer.kid }, c());
    signed('alg empty', { ...header, alg: '' }, c());
    signed('alg not a string', { ...header, alg: 256 }, c());
    signed('kid unknown', { ...header, kid: 'nobody' }, c());
    signed('kid a number', { ...header, kid: 7 }, c());
    signed('header array', b64(JSON.stringify([header])), c());
    signed('header null', b64('null'), c());
    signed('header not JSON', b64('{"alg":'), c());
    signed('header with BOM', b64(`\ufeff${JSON.stringify(header)}`), c());
    signed(
      'header bad UTF-8',
      b64(
        Buffer.concat([
          Buffer.from(JSON.stringify(header).slice(0, -1)),
          Buffer.from([0xc3, 0x28, 0x7d]),
        ]),
      ),
      c(),
    );
    signed(
      'header __proto__',
      b64(`{"__proto__":{"alg":"none"},${JSON.stringify(header).slice(1)}`),
      c(),
    );
    signed('payload array', header, b64(JSON.stringify([c()])));
    signed('payload not JSON', header, b64('{"iss":'));
    signed('payload bad UTF-8', header, b64(Buffer.from([0x7b, 0xff, 0x7d])));
    signed('payload with BOM', header, b64(`\ufeff${JSON.stringify(c())}`));
    signed('payload empty', header, '');
    signed('iss other', header, claims(serial++, { iss: 'https://evil.example' }));
    signed('iss missing', header, { ...c(), iss: undefined });
    signed('iss array', header, claims(serial++, { iss: [ISSUER] }));
    signed('sub missing', header, { ...c(), sub: undefined });
    signed('sub number', header, claims(serial++, { sub: 42 }));
    signed('aud other', header, claims(serial++, { aud: 'https://other.example/mcp' }));
    signed('aud array', header, claims(serial++, { aud: ['https://x.example', RESOURCE] }));
    signed('exp string', header, claims(serial++, { exp: String(now() + 60) }));
    signed('exp passed', header, claims(serial++, { exp: now() - 3600 }));
    signed('exp absurd', header, b64(JSON.stringify(c()).replace(/"exp":\d+/, '"exp":-1e400')));
    signed('nbf future', header, claims(serial++, { nbf: now() + 3600 }));
    signed('nbf absurd', header, b64(JSON.stringify(c()).replace(/"iat":\d+/, '"nbf":1e400')));
    signed('nbf string', header, claims(serial++, { nbf: 'soon' }));
    signed('iat string', header, claims(serial++, { iat: 'now' }));
    signed('iat future', header, claims(serial++, { iat: now() + 3600 }));
    signed('cnf', header, claims(serial++, { cnf: { jkt: 'x' } }));
    signed('nonce (ID token)', { ...header, typ: 'JWT' }, claims(serial++, { nonce: 'n' }));
    signed('scope not a string', header, claims(serial++, { scope: ['todo:read'] }));
  }
  // Keys the header does not name, or may not use: wrong type or curve, too small, options.
  const serialClaims = () => claims(serial++);
  const cross: Array<[string, string, Key, string | undefined]> = [
    ['RS256 with the 1024-bit key', 'RS256', keys.rsaSmall, 'rsa-1024'],
    ['PS256 with the 1024-bit key', 'PS256', keys.rsaSmall, 'rsa-1024'],
    ['RS256 with an e=3 key', 'RS256', keys.rsaE3, 'rsa-e3'],
    ['RS256 with a key limited to RS256', 'RS256', keys.rsa, 'rsa-alg-rs256'],
    ['PS256 with a key limited to RS256', 'PS256', keys.rsa, 'rsa-alg-rs256'],
    ['PS256 with a key limited to PS256', 'PS256', keys.rsa, 'rsa-alg-ps256'],
    ['RS256 named by an EC kid', 'RS256', keys.rsa, 'p256'],
    ['ES256 named by an RSA kid', 'ES256', keys.p256, 'rsa'],
    ['ES384 with a P-256 key', 'ES384', keys.p256, 'p256'],
    ['ES256 with a P-384 key', 'ES256', keys.p384, 'p384'],
    ['ES512 named by a P-384 kid', 'ES512', keys.p521, 'p384'],
    ['EdDSA named by an EC kid', 'EdDSA', keys.ed, 'p256'],
    ['ES256 with use sig', 'ES256', keys.p256, 'p256-use-sig'],
    ['ES256 with use enc', 'ES256', keys.p256, 'p256-use-enc'],
    ['ES256 with key_ops verify', 'ES256', keys.p256, 'p256-ops-verify'],
    ['ES256 with key_ops sign', 'ES256', keys.p256, 'p256-ops-sign'],
    ['ES256 with key_ops sign+verify', 'ES256', keys.p256, 'p256-ops-both'],
    ['ES256 with key_ops repeated', 'ES256', keys.p256, 'p256-ops-twice'],
    ['ES256 with ext false', 'ES256', keys.p256, 'p256-ext-false'],
    ['ES256 with ext not boolean', 'ES256', keys.p256, 'p256-ext-string'],
    ['ES256 with a P-256 key labelled P-384', 'ES256', keys.p256, 'p256-as-p384'],
    ['ES384 with a P-256 key labelled P-384', 'ES384', keys.p256, 'p256-as-p384'],
    ['ES256 with a private JWK in the set', 'ES256', keys.p256, 'p256-private'],
    ['EdDSA with a key labelled X25519', 'EdDSA', keys.ed, 'ed-as-x25519'],
    ['ES256 with an RSA key labelled EC', 'ES256', keys.p256, 'rsa-as-ec'],
    ['ES256 without kid, second of two kid-less keys', 'ES256', keys.noKidB, undefined],
    ['ES256 without kid, first of two kid-less keys', 'ES256', keys.noKidA, undefined],
    ['ES256 without kid by a key outside the set', 'ES256', ecKey('x', 'prime256v1'), undefined],
    ['EdDSA by the other Ed25519 key', 'EdDSA', keys.edB, 'ed'],
    ['Ed25519 without kid', 'Ed25519', keys.edB, undefined],
    ['RS256 signed by another RSA key', 'RS256', keys.rsaB, 'rsa'],
  ];
  for (const [kind, alg, key, kid] of cross) {
    for (let i = 0; i < 3; i++) {
      const header = kid === undefined ? { alg, typ: 'at+jwt' } : { alg, typ: 'at+jwt', kid };
      add(kind, token(header, serialClaims(), key.privateKey, alg));
    }
  }
  return cases;
}

// -- both paths ------------------------------------------------------------------------------

const fetchJwks = (async () =>
  new Response(JSON.stringify(JWKS), {
    headers: { 'content-type': 'application/json' },
  })) as typeof fetch;

function verification(path: 'jose' | 'node', mode: 'sync' | 'callback' | 'auto' = 'auto') {
  const options = resolveJwtOptions({
    issuer: ISSUER,
    resource: RESOURCE,
    jwksUri: JWKS_URI,
    algorithms: ALGORITHMS,
    fetch: fetchJwks,
  });
  const keySet = createRemoteKeySet({
    issuer: ISSUER,
    jwksUri: JWKS_URI,
    fetch: fetchJwks,
    timeoutMs: 5_000,
    cooldownMs: 3_600_000,
    maxResponseBytes: 1 << 20,
  });
  return createJwtVerification(options, keySet, path, mode);
}

/** What a verification came to: the granted identity, or the refusal's code and reason. */
async function outcome(verify: (token: string) => Promise<AuthInfo>, t: string): Promise<string> {
  try {
    const info = await verify(t);
    return `accept ${info.clientId} ${info.scopes.join(',')} ${JSON.stringify(info.extra)}`;
  } catch (error) {
    if (!isMcpAuthError(error)) return `threw ${String(error)}`;
    return `reject ${error.code} ${error.reason} ${error.message}`;
  }
}

describe.skipIf(DEFAULT_SIGNATURE_PATH !== 'node')(
  'signature paths: node:crypto against jose',
  () => {
    it('accept and reject exactly the same tokens, for the same reasons', {
      timeout: 240_000,
    }, async () => {
      const cases = corpus(40, 10);
      expect(cases.length).toBeGreaterThan(20_000);
      const jose = verification('jose');
      const node = verification('node'); // the default: RSA synchronous, the others on the pool
      const sync = verification('node', 'sync');
      const callback = verification('node', 'callback');
      const differences: string[] = [];
      const byKind = new Map<string, { accepted: number; rejected: number }>();
      for (const [i, c] of cases.entries()) {
        const expected = await outcome(jose, c.token);
        const actual = await outcome(node, c.token);
        // Each form of crypto.verify alone, on a sample (they differ only in how it is called).
        const form = i % 20 === 0 ? sync : callback;
        const alone = i % 10 === 0 ? await outcome(form, c.token) : actual;
        if (actual !== expected || alone !== expected) {
          differences.push(`${c.kind}: jose «${expected}» node «${actual}» «${alone}» ${c.token}`);
        }
        const tally = byKind.get(c.kind) ?? { accepted: 0, rejected: 0 };
        if (expected.startsWith('accept')) tally.accepted++;
        else tally.rejected++;
        byKind.set(c.kind, tally);
      }
      expect(differences.slice(0, 10)).toEqual([]);
      expect(differences).toHaveLength(0);

      const accepted = (kind: string) => byKind.get(kind)?.accepted ?? 0;
      const rejected = (kind: string) => byKind.get(kind)?.rejected ?? 0;
      // The corpus means something: every algorithm verifies, and what must fail does.
      for (const alg of ALGORITHMS) expect(accepted(`valid ${alg}`), alg).toBe(40);
      for (const kind of [
        'bit flip: signature',
        'signature truncated by one byte',
        'signature cut in half',
        'signature extended',
        'signature empty',
        'signature of impossible length',
        'ECDSA DER',
        'PSS salt 0',
        'PSS salt 20',
        'RS256 with the 1024-bit key',
        'PS256 with the 1024-bit key',
        'ES384 with a P-256 key',
        'ES256 with use enc',
        'ES256 with key_ops sign',
        'ES256 with a private JWK in the set',
        'RS256 named by an EC kid',
        'alg none',
        'alg HS256',
        'crit b64 false',
        'crit unknown',
        'iss other',
        'payload bad UTF-8',
        'header bad UTF-8',
      ]) {
        expect(accepted(kind), kind).toBe(0);
        expect(rejected(kind), kind).toBeGreaterThan(0);
      }
      // Both accept these: high-S ECDSA (JWS does not forbid it), kid-less keys tried in turn.
      for (const kind of [
        'ECDSA high S',
        'ES256 without kid, second of two kid-less keys',
        'RS256 with an e=3 key',
        'ES256 with key_ops verify',
        'PS256 with a key limited to PS256',
      ]) {
        expect(accepted(kind), kind).toBeGreaterThan(0);
      }
    });
  },
);

describe.skipIf(DEFAULT_SIGNATURE_PATH !== 'node')('findNodeSignatureCrypto', () => {
  it('finds node:crypto on Node.js itself, never on runtimes that call themselves node', () => {
    expect(findNodeSignatureCrypto()?.verify).toBeTypeOf('function');
    // As Bun 1.4 and Deno 2.9 present themselves: release name "node", getBuiltinModule.
    for (const runtime of [
      { versions: { bun: '1.4.5' }, userAgent: 'Bun/1.4.5' },
      { versions: { deno: '2.9.6' }, userAgent: 'Deno/2.9.6' },
      { versions: {}, userAgent: 'Cloudflare-Workers' },
    ]) {
      const versions = { ...process.versions, ...runtime.versions };
      vi.stubGlobal('process', { ...process, versions });
      vi.stubGlobal('navigator', { userAgent: runtime.userAgent });
      try {
        expect(findNodeSignatureCrypto(), runtime.userAgent).toBeUndefined();
      } finally {
        vi.unstubAllGlobals();
      }
    }
    vi.stubGlobal('process', { ...process, release: { name: 'io.js' } });
    try {
      expect(findNodeSignatureCrypto()).toBeUndefined();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe.skipIf(DEFAULT_SIGNATURE_PATH !== 'node')('createNodeSignatureCheck', () => {
  it('checks a key again before it serves another algorithm (no alg confusion)', async () => {
    // One RSASSA-PKCS1-v1_5/SHA-256 key for every header, as a careless resolver would give.
    const { kid: _kid, ...jwk } = keys.rsa.jwk;
    const cryptoKey = await crypto.subtle.importKey(
      'jwk',
      jwk as JsonWebKey,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true,
      ['verify'],
    );
    const check = createNodeSignatureCheck(
      findNodeSignatureCrypto() as NonNullable<ReturnType<typeof findNodeSignatureCrypto>>,
      { issuers: [ISSUER], algorithms: new Set(ALGORITHMS), requiredClaims: [] },
      { getKey: async () => cryptoKey, knownKey: () => undefined },
    );
    const pkcs1 = (alg: string) => {
      const h = json({ alg, typ: 'at+jwt' });
      const p = json(claims(1));
      return `${h}.${p}.${b64(nodeSign('sha256', Buffer.from(`${h}.${p}`), keys.rsa.privateKey))}`;
    };
    await expect(check(pkcs1('RS256'))).resolves.toMatchObject({ payload: { iss: ISSUER } });
    const codeOf = (t: string) =>
      check(t).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    expect(await codeOf(pkcs1('PS256'))).toBe('the key cannot verify PS256');
    expect(await codeOf(pkcs1('RS384'))).toBe('the key cannot verify RS384');
    await expect(check(pkcs1('RS256'))).resolves.toBeDefined();
  });

  it('refuses a process that calls itself node without being Node.js', () => {
    const { node: _node, ...versions } = process.versions;
    vi.stubGlobal('process', { ...process, versions });
    try {
      expect(findNodeSignatureCrypto()).toBeUndefined();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
