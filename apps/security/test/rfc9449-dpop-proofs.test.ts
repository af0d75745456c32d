/**
 * RFC 9449 §4.3, §7.1 and §11 with DPoP on (`dpop: { mode: 'allowed' }`): every check a DPoP
 * proof must pass, attacked one at a time over HTTP on every adapter — a replayed `jti`, the
 * wrong method or URI (another host, another path, forwarding headers set to match), a stale or
 * future `iat`, the `ath` of another token, private key material, `alg` `none` and HS256, a
 * proof by a key other than the bound one, a bound token without a proof or as Bearer, two
 * `DPoP` headers. Each is refused with the exact status, challenge and body, and no tool runs;
 * a valid proof is accepted once.
 */
import { createDpopKey, type DpopKey, type DpopProofOptions } from '@org/mcp-auth-testing';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  type ExpectedChallenge,
  expectDenial,
  mcpHeaders,
  quotable,
  type RawResponse,
  type SecurityServer,
  sessionPerServer,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

const env = useSecurityEnvironment({ auth: { dpop: { mode: 'allowed' } } });
const ALGS = 'ES256 ES384 RS256 PS256 EdDSA';
const SCOPE = 'todo:read';

/** A session per server, opened by a plain token of the same subject and client. */
const shared = sessionPerServer(env, SCOPE);

/**
 * The exact `WWW-Authenticate` with DPoP allowed, written by hand: `Bearer` first (SDK 1.x
 * clients read only a header that starts with it), then `DPoP` with `algs`; the error on the
 * scheme the request used.
 */
function challenges(
  server: SecurityServer,
  expected: ExpectedChallenge & { on: 'Bearer' | 'DPoP' },
): string {
  const error: string[] = [];
  if (expected.error !== undefined) error.push(`error="${expected.error}"`);
  if (expected.description !== undefined) {
    error.push(`error_description="${quotable(expected.description)}"`);
  }
  const common = [`resource_metadata="${server.metadataUrl}"`, `scope="${SCOPE}"`];
  const bearer = [...(expected.on === 'Bearer' ? error : []), ...common];
  const dpop = [...(expected.on === 'DPoP' ? error : []), ...common, `algs="${ALGS}"`];
  return `Bearer ${bearer.join(', ')}, DPoP ${dpop.join(', ')}`;
}

function expectRefused(
  result: RawResponse,
  server: SecurityServer,
  error: 'invalid_dpop_proof' | 'invalid_token',
  description: string,
  on: 'Bearer' | 'DPoP' = 'DPoP',
): void {
  expectDenial(result, {
    status: 401,
    challenge: challenges(server, { error, description, on }),
    body: { error, error_description: description },
  });
}

interface Client {
  key: DpopKey;
  token: string;
  proof(overrides?: Partial<DpopProofOptions>): Promise<string>;
}

/** A client with a DPoP key and a token bound to it, and proofs for POSTs to `server`. */
async function boundClient(server: SecurityServer, key?: DpopKey): Promise<Client> {
  const k = key ?? (await createDpopKey('ES256'));
  const token = await env.mint(server, { scope: SCOPE, claims: { cnf: { jkt: k.jkt } } });
  return {
    key: k,
    token,
    proof: async (overrides = {}) =>
      env.remember(
        await k.proof({ method: 'POST', url: server.resource, accessToken: token, ...overrides }),
      ),
  };
}

/** A `list_todos` call on the shared session with `Authorization: <scheme> <token>`, proofs as given. */
async function call(
  server: SecurityServer,
  token: string,
  proofs: string[],
  options: { scheme?: 'DPoP' | 'Bearer'; headers?: Array<[string, string]> } = {},
) {
  const { sessionId } = await shared(server);
  return toolRunsDuring(server, () =>
    server.send({
      method: 'POST',
      headers: [
        ...mcpHeaders({ sessionId }),
        ['Authorization', `${options.scheme ?? 'DPoP'} ${token}`],
        ...proofs.map((p): [string, string] => ['DPoP', p]),
        ...(options.headers ?? []),
      ],
      body: JSON.stringify(toolCall('list_todos')),
    }),
  );
}

describe.each(ADAPTERS)('RFC 9449 DPoP proofs over HTTP (%s)', (adapter) => {
  it('accepts a valid proof once, and refuses it replayed (same jti)', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const proof = await client.proof();
    const first = await call(server, client.token, [proof]);
    expect(first.result.status, first.result.text.slice(0, 200)).toBe(200);
    expect(first.runs).toBe(1);
    const replay = await call(server, client.token, [proof]);
    expectRefused(replay.result, server, 'invalid_dpop_proof', 'DPoP proof has already been used');
    expect(replay.runs).toBe(0);
  });

  it('refuses a proof for another method (htm)', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const { result, runs } = await call(server, client.token, [
      await client.proof({ method: 'GET' }),
    ]);
    expectRefused(
      result,
      server,
      'invalid_dpop_proof',
      'DPoP proof htm does not match the request',
    );
    expect(runs).toBe(0);
  });

  it('refuses a proof for another host or path, also with Host and X-Forwarded-* set to match', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const port = new URL(server.resource).port;
    const cases: Array<[string, Array<[string, string]>]> = [
      ['http://evil.example/mcp', []],
      [`http://127.0.0.1:${port}/other`, []],
      [`http://localhost:${port}/mcp`, []],
      [
        'https://evil.example/mcp',
        [
          ['X-Forwarded-Host', 'evil.example'],
          ['X-Forwarded-Proto', 'https'],
          ['Forwarded', 'host=evil.example;proto=https'],
        ],
      ],
    ];
    for (const [url, headers] of cases) {
      const { result, runs } = await call(server, client.token, [await client.proof({ url })], {
        headers,
      });
      expectRefused(
        result,
        server,
        'invalid_dpop_proof',
        'DPoP proof htu does not match the request',
      );
      expect(runs, url).toBe(0);
    }
  });

  it('refuses a stale and a future iat', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 120, now + 120]) {
      const { result, runs } = await call(server, client.token, [await client.proof({ iat })]);
      expectRefused(
        result,
        server,
        'invalid_dpop_proof',
        'DPoP proof iat is outside the accepted window',
      );
      expect(runs).toBe(0);
    }
  });

  it('refuses a proof whose ath is the hash of another token', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const other = await env.mint(server, {
      scope: SCOPE,
      claims: { cnf: { jkt: client.key.jkt } },
    });
    const { result, runs } = await call(server, client.token, [
      await client.proof({ accessToken: other }),
    ]);
    expectRefused(
      result,
      server,
      'invalid_dpop_proof',
      'DPoP proof ath does not match the access token',
    );
    expect(runs).toBe(0);
  });

  it('refuses private key material in jwk', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const { result, runs } = await call(server, client.token, [
      await client.proof({ header: { jwk: client.key.privateJwk } }),
    ]);
    expectRefused(result, server, 'invalid_dpop_proof', 'DPoP proof jwk must be a public key');
    expect(runs).toBe(0);
  });

  it('refuses alg none and HS256', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    for (const alg of ['none', 'HS256']) {
      const { result, runs } = await call(server, client.token, [
        await client.proof({ header: { alg } }),
      ]);
      expectRefused(result, server, 'invalid_dpop_proof', 'DPoP proof alg is not accepted');
      expect(runs, alg).toBe(0);
    }
  });

  it('refuses a valid proof signed by a key other than the bound one (a stolen token)', async () => {
    const server = env.server(adapter);
    const victim = await boundClient(server);
    const thief = await createDpopKey('ES256');
    const proof = env.remember(
      await thief.proof({ method: 'POST', url: server.resource, accessToken: victim.token }),
    );
    const { result, runs } = await call(server, victim.token, [proof]);
    expectRefused(
      result,
      server,
      'invalid_token',
      'The DPoP proof key does not match the access token binding',
    );
    expect(runs).toBe(0);
  });

  it('refuses a bound token without a proof', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const { result, runs } = await call(server, client.token, []);
    expectRefused(result, server, 'invalid_dpop_proof', 'DPoP proof missing');
    expect(runs).toBe(0);
  });

  it('refuses a bound token sent as Bearer, even with a valid proof beside it', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const { result, runs } = await call(server, client.token, [await client.proof()], {
      scheme: 'Bearer',
    });
    expectRefused(
      result,
      server,
      'invalid_token',
      'A DPoP-bound access token must be sent with the DPoP scheme and a DPoP proof',
      'Bearer',
    );
    expect(runs).toBe(0);
  });

  it('refuses two DPoP headers, even two valid proofs', async () => {
    const server = env.server(adapter);
    const client = await boundClient(server);
    const { result, runs } = await call(server, client.token, [
      await client.proof(),
      await client.proof(),
    ]);
    expectRefused(result, server, 'invalid_dpop_proof', 'more than one DPoP header');
    expect(runs).toBe(0);
  });
});
