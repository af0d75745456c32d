/**
 * What `pnpm bench` and `pnpm bench --smoke` send: the servers they start, the tokens, and the
 * load of each scenario.
 */
import { alterTokenPayload, type RunningTestIssuer } from '@org/mcp-auth-testing';
import type { Load, RunningServer } from './macro.js';
import type { Framework, ServerConfig, Variant } from './server.js';

export const RESOURCE = 'http://localhost/mcp';
export const BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'add_todo', arguments: { title: 'benchmark' } },
});

export const SCENARIOS = [
  'valid-reused',
  'valid-distinct',
  'no-token',
  'bad-signature',
  'insufficient-scope',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The fixed-object servers; each group is measured interleaved, its first one the baseline. */
export const GROUPS: Array<Array<[Framework, Variant]>> = [
  [
    ['express', 'bare'],
    ['express', 'ours'],
    ['express', 'sdk'],
  ],
  [
    ['fastify', 'bare'],
    ['fastify', 'ours'],
  ],
  [
    ['hono', 'bare'],
    ['hono', 'ours'],
    ['hono', 'ours-twin'],
  ],
];
export const SERVER_NAMES = GROUPS.flat().map(([framework, variant]) => `${framework}-${variant}`);

/** What the issuer and the servers have in common. */
export function baseConfig(issuer: RunningTestIssuer): Omit<ServerConfig, 'framework' | 'variant'> {
  return { issuer: issuer.issuer, jwksUri: issuer.jwksUri, resource: RESOURCE };
}

/** `count` valid ES256 tokens with `scope`, each with its own subject. */
export async function mintMany(
  issuer: RunningTestIssuer,
  count: number,
  scope: string,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) =>
      issuer.mintAccessToken({
        key: 'ES256',
        claims: { scope, sub: `user-${i + j}` },
        expiresIn: 3600,
      }),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** The tokens of every scenario. */
export interface Tokens {
  valid: string;
  badSignature: string;
  readOnly: string;
  /** Distinct valid tokens, cycled by valid-distinct. */
  pool: string[];
}

export async function mintTokens(issuer: RunningTestIssuer, poolSize: number): Promise<Tokens> {
  const valid = await issuer.mintAccessToken({ key: 'ES256', expiresIn: 3600 });
  const readOnly = await issuer.mintAccessToken({
    key: 'ES256',
    claims: { scope: 'todo:read' },
    expiresIn: 3600,
  });
  const pool = await mintMany(issuer, poolSize, 'todo:read todo:write');
  return { valid, badSignature: alterTokenPayload(valid, { sub: 'mallory' }), readOnly, pool };
}

/**
 * The load of each scenario against each server. Every server walks the distinct-token pool
 * from its own offset, so no two servers start on the same tokens.
 */
export function createLoads(tokens: Tokens, servers: RunningServer[]) {
  const cursors = new Map<string, number>(servers.map((s, i) => [s.name, i * 1_000]));
  return (scenario: Scenario, server: RunningServer): Load => {
    switch (scenario) {
      case 'valid-reused':
        return { authorization: `Bearer ${tokens.valid}`, body: BODY };
      case 'valid-distinct':
        return {
          authorization: () => {
            const i = cursors.get(server.name) as number;
            cursors.set(server.name, i + 1);
            return `Bearer ${tokens.pool[i % tokens.pool.length]}`;
          },
          body: BODY,
        };
      case 'no-token':
        return { body: BODY };
      case 'bad-signature':
        return { authorization: `Bearer ${tokens.badSignature}`, body: BODY };
      case 'insufficient-scope':
        return { authorization: `Bearer ${tokens.readOnly}`, body: BODY };
    }
  };
}

/** The status each scenario must get: the bare servers answer 200 to everything. */
export function expectedStatus(scenario: Scenario, variant: Variant): number {
  if (variant === 'bare') return 200;
  switch (scenario) {
    case 'no-token':
    case 'bad-signature':
      return 401;
    case 'insufficient-scope':
      return 403;
    default:
      return 200;
  }
}
