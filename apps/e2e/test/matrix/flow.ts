import { expect } from 'vitest';
import type { ClientName, Exchange } from './clients.js';

/** One row of the matrix as run. */
export interface StepRecord {
  sample: string;
  client: ClientName;
  step: string;
  ok: boolean;
  ms: number;
}

/** What a client did, in words for the compatibility table. */
export interface Behaviour {
  sample: string;
  client: ClientName;
  /** `scope` of the first authorization request. */
  firstScope: string;
  /** Scopes listed on the first consent page. */
  firstConsent: string;
  /** `scope` named by the 403. */
  forbiddenScope: string;
  /** `scope` of the step-up authorization request. */
  stepUpScope: string;
  /** Token requests between the 403 and the step-up authorization (a refresh tried first). */
  refreshesBeforeStepUp: number;
  /** Scopes of the token after the step-up. */
  finalScopes: string;
  /** How long the form-poster waited for the callback listener (first consent, step-up). */
  callbackWaits: string;
}

export const records: StepRecord[] = [];
export const behaviours: Behaviour[] = [];

/** Run one step of the flow, timed and recorded, failing the test when it fails. */
export async function step(
  sample: string,
  client: ClientName,
  name: string,
  run: () => Promise<void>,
): Promise<void> {
  const start = Date.now();
  try {
    await run();
    records.push({ sample, client, step: name, ok: true, ms: Date.now() - start });
  } catch (error) {
    records.push({ sample, client, step: name, ok: false, ms: Date.now() - start });
    throw error;
  }
}

export const splitScope = (scope: string | undefined): string[] =>
  (scope ?? '').split(' ').filter(Boolean).sort();

export function scopesOfToken(token: string): string[] {
  const [, payload = ''] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    scope?: string;
  };
  return splitScope(claims.scope);
}

export function challengeScope(exchange: Exchange | undefined): string {
  const header = exchange?.wwwAuthenticate;
  if (!header) return '';
  // Our challenges quote every value and never escape inside one (see the core's builder).
  return /(?:^|[\s,])scope="([^"]*)"/.exec(header)?.[1] ?? '';
}

/** The exchanges from the first to the MCP endpoint on, as `METHOD path status` lines. */
export function describeExchanges(exchanges: Exchange[]): string[] {
  return exchanges.map((e) => `${e.method} ${new URL(e.url).pathname} ${e.status}`);
}

/** The 401 → discovery → registration → token part of a client's first connection. */
export function expectDiscoveryAndRegistration(
  exchanges: Exchange[],
  resource: string,
  issuer: string,
): void {
  const first = exchanges.find((e) => e.url === resource);
  expect(first?.status, 'the first MCP request').toBe(401);
  expect(first?.wwwAuthenticate).toMatch(/^Bearer /);
  expect(first?.wwwAuthenticate).toContain('resource_metadata="');
  expect(first?.wwwAuthenticate).not.toContain('error=');
  expect(challengeScope(first)).toBe('todo:read');
  const seen = describeExchanges(exchanges);
  expect(seen).toContain('GET /.well-known/oauth-protected-resource/mcp 200');
  const asMetadata = exchanges.find(
    (e) =>
      e.url.startsWith(issuer) &&
      /\/\.well-known\/(oauth-authorization-server|openid-configuration)/.test(e.url) &&
      e.status === 200,
  );
  expect(asMetadata, 'authorization server metadata fetched').toBeDefined();
  expect(seen).toContain('POST /reg 201');
  expect(seen).toContain('POST /token 200');
}

/** Print the steps as run (client × sample × step, pass/fail, ms) and what each client did. */
export function printMatrix(title: string): void {
  if (records.length === 0) return;
  const lines = [`${title}:`, 'sample   client      step         result   ms'];
  for (const r of records) {
    lines.push(
      `${r.sample.padEnd(8)} ${r.client.padEnd(11)} ${r.step.padEnd(12)} ${(r.ok ? 'pass' : 'FAIL').padEnd(8)} ${r.ms}`,
    );
  }
  if (behaviours.length) {
    lines.push(
      '',
      'sample   client      first scope asked → consent | 403 scope | step-up scope | refreshes first | final | callback waits ms',
    );
    for (const b of behaviours) {
      lines.push(
        `${b.sample.padEnd(8)} ${b.client.padEnd(11)} ${b.firstScope} → ${b.firstConsent} | ${b.forbiddenScope} | ${b.stepUpScope} | ${b.refreshesBeforeStepUp} | ${b.finalScopes} | ${b.callbackWaits}`,
      );
    }
  }
  console.log(lines.join('\n'));
}
