/**
 * JWT forgeries from RFC 8725 (JWT Best Current Practices) §2 and §3 and RFC 7515/7516/7519,
 * each made for real with jose or Web Crypto and sent over HTTP to every adapter, on a session
 * a genuine token opened. Every forgery claims all the scopes, so the forgery is the only reason
 * to refuse it: 401 `invalid_token`, the exact challenge, and no tool handler run.
 */
import {
  listenTestIssuer,
  generateTestKey,
  publicKeyPem,
  type TestKey,
} from '@org/mcp-auth-testing';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  callTool,
  encryptJwt,
  expectInvalidRequest,
  expectInvalidToken,
  type SecurityEnvironment,
  type SecurityServer,
  signRawJwt,
  toolRunsDuring,
  unsecuredJwt,
  useSecurityEnvironment,
  sessionPerServer,
} from '../src/index.js';

const ALL_SCOPES = 'todo:read todo:write calendar:read calendar:write';
/** Short, so the storm test waits little; the bound below scales with the elapsed time. */
const COOLDOWN_MS = 500;

const env = useSecurityEnvironment({ jwksCooldownMs: COOLDOWN_MS });

/** A key only the attacker holds, and a listener counting requests for its "JWKS". */
let attacker: TestKey;
/** An RSA-PSS key, generated once (RSA key generation is slow). */
let pss: TestKey | undefined;
let attackerJwks: { url: string; requests: () => number; close(): Promise<void> };

beforeAll(async () => {
  attacker = await generateTestKey('RS256', { kid: 'attacker-key' });
  let requests = 0;
  const server = await listenTestIssuer(async () => {
    requests++;
    return new Response(JSON.stringify({ keys: [attacker.publicJwk] }), {
      headers: { 'content-type': 'application/json' },
    });
  });
  attackerJwks = { url: `${server.url}/jwks`, requests: () => requests, close: server.close };
});
afterAll(() => attackerJwks.close());

/** One session per server, opened by a genuine all-scopes token of the forged subject. */
const shared = sessionPerServer(env, ALL_SCOPES);
const sessionOf = async (server: SecurityServer) => (await shared(server)).sessionId;

/**
 * Calls `list_todos` with `token` on a session a genuine token opened (so a tool could run if
 * the token were accepted). Returns the response and how many tool handlers ran.
 */
async function attack(server: SecurityServer, token: string) {
  const sessionId = await sessionOf(server);
  const { runs, result } = await toolRunsDuring(server, () =>
    callTool(server, { token, sessionId }, 'list_todos'),
  );
  return { res: result, runs };
}

/** Valid claims for `server` granting every scope: only the forgery can be wrong. */
function payload(e: SecurityEnvironment, server: SecurityServer) {
  return e.claims(server, { scope: ALL_SCOPES });
}

const RS256 = (e: SecurityEnvironment) => e.issuer.key('RS256');

/** A forgery: a name, how to make it, and the `error_description` it must be refused with. */
interface Forgery {
  name: string;
  make(e: SecurityEnvironment, server: SecurityServer): Promise<string> | string;
  description: string;
}

const NOT_ALLOWED = 'signing algorithm not allowed';
const BAD_SIGNATURE = 'invalid signature';
const UNKNOWN_KID = 'no signing key matches the token (unknown kid)';
const MALFORMED = 'malformed token';
const UNVERIFIABLE = 'token could not be verified';

const FORGERIES: Forgery[] = [
  // RFC 8725 §2.1 / §3.1: "none" and algorithm substitution.
  ...['none', 'None', 'NONE', 'nOnE'].map(
    (alg): Forgery => ({
      name: `alg "${alg}" with an empty signature`,
      make: (e, server) =>
        unsecuredJwt({ alg, typ: 'at+jwt', kid: RS256(e).kid }, payload(e, server)),
      description: NOT_ALLOWED,
    }),
  ),
  {
    name: 'alg "none" keeping the signature of a genuine token',
    async make(e, server) {
      const genuine = await e.mint(server, { scope: ALL_SCOPES });
      return unsecuredJwt(
        { alg: 'none', typ: 'at+jwt' },
        payload(e, server),
        genuine.split('.')[2],
      );
    },
    description: NOT_ALLOWED,
  },
  ...(['HS256', 'HS384', 'HS512'] as const).map(
    (alg): Forgery => ({
      name: `${alg} signed with the issuer's RSA public key PEM as the HMAC secret`,
      async make(e, server) {
        const pem = await publicKeyPem(RS256(e));
        return e.forge(server, {
          header: { alg, typ: 'at+jwt', kid: RS256(e).kid },
          claims: { scope: ALL_SCOPES },
          key: new TextEncoder().encode(pem),
        });
      },
      description: NOT_ALLOWED,
    }),
  ),
  {
    name: 'HS256 signed with the PEM plus a trailing newline',
    async make(e, server) {
      const pem = `${await publicKeyPem(RS256(e))}\n`;
      return e.forge(server, {
        header: { alg: 'HS256', typ: 'at+jwt', kid: RS256(e).kid },
        claims: { scope: ALL_SCOPES },
        key: new TextEncoder().encode(pem),
      });
    },
    description: NOT_ALLOWED,
  },
  {
    name: 'HS256 signed with the published JWK (JSON text) as the secret',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'HS256', typ: 'at+jwt', kid: RS256(e).kid },
        claims: { scope: ALL_SCOPES },
        key: new TextEncoder().encode(JSON.stringify(RS256(e).publicJwk)),
      }),
    description: NOT_ALLOWED,
  },
  {
    name: 'HS256 signed with the ES256 key JWK as the secret',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'HS256', typ: 'at+jwt', kid: e.issuer.key('ES256').kid },
        claims: { scope: ALL_SCOPES },
        key: new TextEncoder().encode(JSON.stringify(e.issuer.key('ES256').publicJwk)),
      }),
    description: NOT_ALLOWED,
  },
  {
    name: 'alg ES256 in the header with the kid of the RSA key (key/alg confusion)',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'ES256', typ: 'at+jwt', kid: RS256(e).kid },
        claims: { scope: ALL_SCOPES },
        key: e.issuer.key('ES256').privateKey,
      }),
    description: UNKNOWN_KID,
  },
  {
    name: 'alg PS256 over the RS256 key (the JWK pins alg RS256)',
    async make(e, server) {
      pss ??= await generateTestKey('PS256');
      return e.forge(server, {
        header: { alg: 'PS256', typ: 'at+jwt', kid: RS256(e).kid },
        claims: { scope: ALL_SCOPES },
        key: pss.privateKey,
      });
    },
    description: UNKNOWN_KID,
  },
  // RFC 8725 §3.10 and RFC 7515 §4.1.2–4.1.6: keys the token brings with it are never trusted.
  {
    name: 'jku pointing at the attacker JWKS, attacker kid',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'RS256', typ: 'at+jwt', kid: attacker.kid, jku: attackerJwks.url },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      }),
    description: UNKNOWN_KID,
  },
  {
    name: 'jku pointing at the attacker JWKS, the genuine kid',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'RS256', typ: 'at+jwt', kid: RS256(e).kid, jku: attackerJwks.url },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      }),
    description: BAD_SIGNATURE,
  },
  {
    name: 'x5u pointing at the attacker, attacker kid',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'RS256', typ: 'at+jwt', kid: attacker.kid, x5u: attackerJwks.url },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      }),
    description: UNKNOWN_KID,
  },
  {
    name: 'embedded jwk (the attacker public key), attacker kid',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'RS256', typ: 'at+jwt', kid: attacker.kid, jwk: attacker.publicJwk },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      }),
    description: UNKNOWN_KID,
  },
  {
    name: 'embedded jwk without kid',
    async make(e, server) {
      const { kid: _kid, ...jwk } = attacker.publicJwk;
      return e.forge(server, {
        header: { alg: 'RS256', typ: 'at+jwt', jwk },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      });
    },
    description: BAD_SIGNATURE,
  },
  {
    name: 'embedded jwk carrying the genuine kid',
    async make(e, server) {
      const jwk = { ...(await exportJWK(attacker.publicKey)), kid: RS256(e).kid };
      return e.forge(server, {
        header: { alg: 'RS256', typ: 'at+jwt', kid: RS256(e).kid, jwk },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      });
    },
    description: BAD_SIGNATURE,
  },
  {
    name: 'x5c certificate chain in the header, genuine kid',
    make: (e, server) =>
      e.forge(server, {
        header: {
          alg: 'RS256',
          typ: 'at+jwt',
          kid: RS256(e).kid,
          x5c: [Buffer.from('attacker certificate').toString('base64')],
        },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      }),
    description: BAD_SIGNATURE,
  },
  // kid tricks (RFC 8725 §3.10: kid is not a path, a query or trusted input).
  ...[
    '../../../../../../dev/null',
    '/dev/null',
    "' OR '1'='1",
    '"; DROP TABLE keys; --',
    '',
    `${'k'.repeat(64)}\u0000`,
    '__proto__',
    'constructor',
  ].map(
    (kid): Forgery => ({
      name: `kid ${JSON.stringify(kid)} signed by the attacker`,
      make: (e, server) =>
        e.forge(server, {
          header: { alg: 'RS256', typ: 'at+jwt', kid },
          claims: { scope: ALL_SCOPES },
          key: attacker.privateKey,
        }),
      description: UNKNOWN_KID,
    }),
  ),
  ...([42, null, ['a'], { $ne: null }] as const).map(
    (kid): Forgery => ({
      name: `kid of type ${kid === null ? 'null' : Array.isArray(kid) ? 'array' : typeof kid} signed by the attacker`,
      make: (e, server) =>
        signRawJwt(
          JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid }),
          JSON.stringify(payload(e, server)),
          attacker.privateKey,
          'RS256',
        ),
      description: UNKNOWN_KID,
    }),
  ),
  {
    name: 'genuine kid, signed by the attacker key',
    make: (e, server) =>
      e.forge(server, {
        header: { alg: 'RS256', typ: 'at+jwt', kid: RS256(e).kid },
        claims: { scope: ALL_SCOPES },
        key: attacker.privateKey,
      }),
    description: BAD_SIGNATURE,
  },
  // RFC 7515 §4.1.11: an extension the verifier does not understand must be refused.
  {
    name: 'crit naming an unknown extension (signed by the issuer)',
    make: (e, server) =>
      e.forge(server, {
        header: {
          alg: 'RS256',
          typ: 'at+jwt',
          kid: RS256(e).kid,
          crit: ['urn:example:must-understand'],
          'urn:example:must-understand': true,
        },
        claims: { scope: ALL_SCOPES },
        key: RS256(e).privateKey,
        crit: { 'urn:example:must-understand': true },
      }),
    description: UNVERIFIABLE,
  },
  {
    name: 'crit naming an extension absent from the header (signed by the issuer)',
    make: (e, server) =>
      signRawJwt(
        JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: RS256(e).kid, crit: ['exp'] }),
        JSON.stringify(payload(e, server)),
        RS256(e).privateKey,
        'RS256',
      ),
    description: UNVERIFIABLE,
  },
  {
    name: 'empty crit list (signed by the issuer)',
    make: (e, server) =>
      signRawJwt(
        JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: RS256(e).kid, crit: [] }),
        JSON.stringify(payload(e, server)),
        RS256(e).privateKey,
        'RS256',
      ),
    description: MALFORMED,
  },
  {
    name: 'crit b64 with an unencoded payload (RFC 7797; JWTs must not use it)',
    make: (e, server) =>
      signRawJwt(
        JSON.stringify({
          alg: 'RS256',
          typ: 'at+jwt',
          kid: RS256(e).kid,
          b64: false,
          crit: ['b64'],
        }),
        JSON.stringify(payload(e, server)),
        RS256(e).privateKey,
        'RS256',
      ),
    description: MALFORMED,
  },
  // Shapes that are not a compact JWS.
  {
    name: 'a JWE (five segments) encrypted to the issuer public key',
    make: (e, server) =>
      encryptJwt(payload(e, server), RS256(e).publicJwk, { typ: 'at+jwt', kid: RS256(e).kid }),
    description: MALFORMED,
  },
  {
    name: 'a genuine token with its signature stripped',
    async make(e, server) {
      const genuine = await e.mint(server, { scope: ALL_SCOPES });
      return `${genuine.split('.').slice(0, 2).join('.')}.`;
    },
    description: BAD_SIGNATURE,
  },
  {
    name: 'a genuine token with a fourth segment appended',
    async make(e, server) {
      return `${await e.mint(server, { scope: ALL_SCOPES })}.AAAA`;
    },
    description: MALFORMED,
  },
  {
    name: 'a header that is not JSON',
    make: () => `${Buffer.from('not json').toString('base64url')}.e30.c2ln`,
    description: MALFORMED,
  },
];

describe.each(ADAPTERS)('RFC 8725 forgeries over HTTP (%s)', (adapter) => {
  it('accepts the genuine all-scopes token (the control)', async () => {
    const server = env.server(adapter);
    const { res, runs } = await attack(server, await env.mint(server, { scope: ALL_SCOPES }));
    expect(res.status).toBe(200);
    expect(runs).toBe(1);
  });

  it.each(FORGERIES)('refuses $name', async ({ make, description }) => {
    const server = env.server(adapter);
    const token = env.remember(await make(env, server));
    const { res, runs } = await attack(server, token);
    expectInvalidToken(res, server, description, 'todo:read');
    expect(runs).toBe(0);
  });

  it('never fetches a jku/x5u URL named by a token', () => {
    expect(attackerJwks.requests()).toBe(0);
  });

  it('refuses a token one character over the 8 KiB limit with 400 invalid_request', async () => {
    const server = env.server(adapter);
    const token = env.remember('a'.repeat(8193));
    const { res, runs } = await attack(server, token);
    expectInvalidRequest(res, server, 'Bearer token too long');
    expect(runs).toBe(0);
  });

  it('refuses a forged token just under the limit (a huge claim) without accepting it', async () => {
    const server = env.server(adapter);
    const token = await env.forge(server, {
      header: { alg: 'RS256', typ: 'at+jwt', kid: RS256(env).kid },
      claims: { scope: ALL_SCOPES, padding: 'x'.repeat(5_500) },
      key: attacker.privateKey,
    });
    expect(token.length).toBeLessThanOrEqual(8192);
    const { res, runs } = await attack(server, token);
    expectInvalidToken(res, server, BAD_SIGNATURE, 'todo:read');
    expect(runs).toBe(0);
  });

  it('answers an Authorization header larger than the HTTP limit with 431, no tool run', async () => {
    const server = env.server(adapter);
    const token = env.remember('a'.repeat(20_000));
    const { res, runs } = await attack(server, token);
    expect(res.status).toBe(431);
    expect(runs).toBe(0);
  });

  it('bounds JWKS refetches under a storm of 200 unknown kids: one per cooldown', async () => {
    const server = env.server(adapter);
    const genuine = await env.mint(server, { scope: ALL_SCOPES });
    const sessionId = await sessionOf(server); // keys loaded
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        env.forge(server, {
          header: { alg: 'RS256', typ: 'at+jwt', kid: `storm-${i}-${crypto.randomUUID()}` },
          claims: { scope: ALL_SCOPES },
          key: attacker.privateKey,
        }),
      ),
    );
    // Past the cooldown of the last fetch, so the storm may cause exactly one.
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    const before = env.issuer.jwksFetchCount;
    const runsBefore = server.toolCalls.length;
    const started = Date.now();
    const responses = await Promise.all(
      tokens.map((token) => callTool(server, { token, sessionId }, 'list_todos')),
    );
    const elapsed = Date.now() - started;
    const fetches = env.issuer.jwksFetchCount - before;
    for (const res of responses) expectInvalidToken(res, server, UNKNOWN_KID, 'todo:read');
    expect(server.toolCalls.length - runsBefore).toBe(0);
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(1 + Math.floor(elapsed / COOLDOWN_MS));
    // Genuine tokens still work right after the storm.
    const after = await callTool(server, { token: genuine, sessionId }, 'list_todos');
    expect(after.status).toBe(200);
  });
});
