/**
 * Outbound fetches of the key set (RFC 8414 metadata, RFC 7517 JWKS) against an authorization
 * server that misbehaves or is impersonated, over HTTP on every adapter: a redirect to an
 * attacker's listener (never followed), a 32 MB key set (cut off at the response cap), and an
 * issuer that accepts connections but never answers (one deadline, then failures remembered
 * for the cooldown). Everything listens on 127.0.0.1.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateTestKey, type TestKey } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  type AdapterName,
  describeEachAdapter,
  expectDenial,
  type HttpListener,
  initializeRequest,
  postMcp,
  type RawResponse,
  type SecurityServer,
  type SilentListener,
  startHttpListener,
  startSilentListener,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

const KEYS_UNAVAILABLE = {
  error: 'jwks_unavailable',
  error_description: "the authorization server's signing keys are unavailable",
};

/** A 503 for keys that cannot be had: the body above, `Retry-After` in seconds, no challenge. */
function expectKeysUnavailable(res: RawResponse, maxRetryAfter: number) {
  expectDenial(res, { status: 503, challenge: null, body: KEYS_UNAVAILABLE });
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  const retryAfterSeconds = Number(res.headers['retry-after']);
  expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(retryAfterSeconds).toBeLessThanOrEqual(maxRetryAfter);
}

function json(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The attacker's authorization server: metadata naming `issuer`, and a JWKS with its key. */
function attackerHandler(key: () => TestKey, issuer: () => string, self: () => string) {
  return (req: { url?: string }, res: ServerResponse) => {
    if (req.url === '/jwks') return json(res, { keys: [key().publicJwk] });
    return json(res, {
      issuer: issuer(),
      jwks_uri: `${self()}/jwks`,
      response_types_supported: ['code'],
    });
  };
}

describe('a redirect to an attacker-controlled key set is never followed', () => {
  let attackerKey: TestKey;
  let attacker: HttpListener;
  /** The configured jwksUri: answers 302 to the attacker's JWKS. */
  let jwksRedirect: HttpListener;
  /** An issuer whose metadata answers 302 to the attacker's metadata (naming this issuer). */
  let metadataRedirect: HttpListener;
  beforeAll(async () => {
    attackerKey = await generateTestKey('RS256');
    attacker = await startHttpListener(
      attackerHandler(
        () => attackerKey,
        () => metadataRedirect.url,
        () => attacker.url,
      ),
    );
    jwksRedirect = await startHttpListener((_req, res) => {
      res.writeHead(302, { location: `${attacker.url}/jwks` }).end();
    });
    metadataRedirect = await startHttpListener((req, res) => {
      res.writeHead(302, { location: `${attacker.url}${req.url}` }).end();
    });
  });
  afterAll(async () => {
    await Promise.all([attacker?.close(), jwksRedirect?.close(), metadataRedirect?.close()]);
  });

  describe('a configured jwksUri that redirects', () => {
    const env = useSecurityEnvironment({
      auth: () => ({ jwt: { jwksCooldownMs: 1_000, jwksUri: `${jwksRedirect.url}/jwks` } }),
    });

    describeEachAdapter('JWKS 302 to the attacker', (adapter) => {
      it("refuses a token signed with the attacker's key; the attacker is never asked", async () => {
        // Finding 7a: the JWKS location answers 302 to another listener serving the attacker's
        // key. Following it would make the forged token valid (200).
        const server = env.server(adapter);
        const forged = await env.mint(server, { scope: 'todo:read', key: attackerKey });
        const asked = jwksRedirect.requests.length;
        const { runs, result } = await toolRunsDuring(server, () =>
          postMcp(server, toolCall('list_todos'), { token: forged }),
        );
        expectKeysUnavailable(result, 1);
        expect(runs).toBe(0);
        expect(jwksRedirect.requests.slice(asked)).toEqual(['GET /jwks']);
        expect(attacker.requests).toEqual([]);
      });
    });
  });

  describe('issuer metadata that redirects', () => {
    const env = useSecurityEnvironment({
      auth: () => ({ issuer: metadataRedirect.url, jwt: { jwksCooldownMs: 1_000 } }),
    });

    describeEachAdapter('metadata 302 to the attacker', (adapter) => {
      it("refuses a token signed with the attacker's key; the attacker is never asked", async () => {
        // Finding 7a, through discovery: both metadata locations answer 302 to the attacker's
        // metadata, which names this issuer and the attacker's JWKS.
        const server = env.server(adapter);
        const forged = await env.mint(server, {
          scope: 'todo:read',
          key: attackerKey,
          claims: { iss: metadataRedirect.url },
        });
        const asked = metadataRedirect.requests.length;
        const { runs, result } = await toolRunsDuring(server, () =>
          postMcp(server, toolCall('list_todos'), { token: forged }),
        );
        expectKeysUnavailable(result, 1);
        expect(runs).toBe(0);
        expect(metadataRedirect.requests.slice(asked)).toEqual([
          'GET /.well-known/oauth-authorization-server',
          'GET /.well-known/openid-configuration',
        ]);
        expect(attacker.requests).toEqual([]);
      });
    });
  });
});

/** 32 MiB: a key set no authorization server serves, and far above the 256 KiB cap. */
const HUGE = 32 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** What the huge-body listener managed to send to one request. */
interface Sent {
  bytes: number;
  finished: boolean;
}

/**
 * Streams a valid-JSON 32 MiB key set, writing only as fast as the client reads (waiting for
 * `drain`), so `bytes` is what the client's socket accepted before it hung up.
 */
function serveHuge(res: ServerResponse, declareLength: boolean, sent: Sent) {
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(declareLength ? { 'content-length': String(HUGE) } : {}),
  });
  const head = Buffer.from('{"keys":[],"padding":"');
  const tail = Buffer.from('"}');
  const filler = Buffer.alloc(CHUNK, 0x61);
  const pump = () => {
    while (!res.destroyed) {
      const left = HUGE - sent.bytes;
      if (left === 0) {
        res.end();
        sent.finished = true;
        return;
      }
      const chunk =
        sent.bytes === 0
          ? head
          : left === tail.length
            ? tail
            : filler.subarray(0, Math.min(CHUNK, left - tail.length));
      sent.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
  };
  res.on('error', () => {});
  pump();
}

describe.each([
  { declared: true, title: 'a 32 MB key set with its Content-Length' },
  { declared: false, title: 'a 32 MB key set sent chunked (no Content-Length)' },
])('$title', ({ declared }) => {
  let huge: HttpListener;
  const sent: Sent[] = [];
  beforeAll(async () => {
    huge = await startHttpListener((_req, res) => {
      const entry: Sent = { bytes: 0, finished: false };
      sent.push(entry);
      serveHuge(res, declared, entry);
    });
  });
  afterAll(async () => {
    await huge?.close();
  });
  const env = useSecurityEnvironment({
    auth: () => ({ jwt: { jwksCooldownMs: 1_000, jwksUri: `${huge.url}/jwks` } }),
  });

  describeEachAdapter('huge JWKS', (adapter) => {
    it('fails fast with 503 and never reads the key set to the end', async () => {
      // Finding 7b: the body is refused by its Content-Length, or counted as it streams and the
      // connection dropped past the 256 KiB cap — not read whole into memory.
      const server = env.server(adapter);
      const token = await env.mint(server, { scope: 'todo:read' });
      const before = sent.length;
      const started = performance.now();
      const { runs, result } = await toolRunsDuring(server, () =>
        postMcp(server, toolCall('list_todos'), { token }),
      );
      const elapsed = performance.now() - started;
      expectKeysUnavailable(result, 1);
      expect(runs).toBe(0);
      expect(elapsed).toBeLessThan(3_000);
      expect(sent.length).toBe(before + 1);
      const answered = sent.at(-1) as Sent;
      expect(answered.finished).toBe(false);
      // What loopback socket buffers took in before the client hung up (about 4 MB here),
      // not the 32 MB.
      expect(answered.bytes).toBeLessThan(HUGE / 2);
    });
  });
});

describe('an issuer that accepts connections and never answers (default deadline)', () => {
  const silent = new Map<AdapterName, SilentListener>();
  beforeAll(async () => {
    for (const adapter of ADAPTERS) silent.set(adapter, await startSilentListener());
  });
  afterAll(async () => {
    await Promise.all([...silent.values()].map((s) => s.close()));
  });
  // The default `timeout` (5 s) and a 30 s cooldown; one silent issuer per adapter, so each
  // server's connections can be counted while the three run at the same time.
  const env = useSecurityEnvironment({
    auth: ({ adapter }) => ({
      issuer: (silent.get(adapter) as SilentListener).url,
      jwt: { jwksCooldownMs: 30_000 },
    }),
  });

  const tokenFor = (server: SecurityServer) =>
    env.mint(server, {
      scope: 'todo:read',
      claims: { iss: (silent.get(server.adapter) as SilentListener).url },
    });

  it.concurrent.for(ADAPTERS)(
    'the first request gets 503 at the deadline, the next five at once (%s)',
    async (adapter, { expect }) => {
      // Finding 7c: a hanging issuer held every request for as long as the connection stayed
      // open. Now one fetch waits at most `timeout`; its failure is remembered for the
      // cooldown, so later requests get 503 + Retry-After without touching the issuer.
      const server = env.server(adapter);
      const listener = silent.get(adapter) as SilentListener;
      const token = await tokenFor(server);
      let started = performance.now();
      const first = await postMcp(server, toolCall('list_todos'), { token });
      const firstElapsed = performance.now() - started;
      expectKeysUnavailable(first, 30);
      expect(firstElapsed).toBeGreaterThan(4_500);
      expect(firstElapsed).toBeLessThan(7_500);
      // Discovery tried the RFC 8414 location until the deadline, then the OpenID one with
      // what was left of it (nothing, or a few ms: its connection may be counted a little
      // after the answer, so wait a moment before counting).
      await sleep(200);
      const connections = listener.connections;
      expect(connections).toBeGreaterThanOrEqual(1);
      expect(connections).toBeLessThanOrEqual(2);
      for (let i = 0; i < 5; i++) {
        started = performance.now();
        const { runs, result } = await toolRunsDuring(server, () =>
          postMcp(server, toolCall('list_todos'), { token }),
        );
        expect(performance.now() - started).toBeLessThan(2_000); // far below the 5 s deadline
        expectKeysUnavailable(result, 30);
        expect(runs).toBe(0);
      }
      // An initialize meets the same remembered failure: no wait, and no session.
      started = performance.now();
      const initialize = await postMcp(server, initializeRequest(), { token });
      expect(performance.now() - started).toBeLessThan(2_000); // far below the 5 s deadline
      expectKeysUnavailable(initialize, 30);
      expect(server.sessionCount()).toBe(0);
      await sleep(200);
      expect(listener.connections).toBe(connections);
    },
  );
});
