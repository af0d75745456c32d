/**
 * `pnpm bench --smoke` (and the package's `test`): every server variant started, a small fixed
 * number of requests per scenario, and the statuses checked; the micro functions run for a few
 * milliseconds each. Measures nothing worth reading: it only proves the benchmark still runs,
 * so a change that breaks it is seen before a full run on a quiet machine. Writes
 * results/smoke.json; exits non-zero naming every mismatch.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { startTestIssuer } from '@org/mcp-auth-testing';
import {
  baseConfig,
  createLoads,
  expectedStatus,
  GROUPS,
  mintTokens,
  RESOURCE,
  SCENARIOS,
} from './fixtures.js';
import { type Measured, measure, type RunningServer, startGroups } from './macro.js';
import { checkMcpRefusal, MCP_GROUPS, prepareMcpTarget } from './mcp.js';
import { runMicro } from './micro.js';
import type { ServerConfig } from './server.js';

/** Requests per scenario and server: enough to cross every code path, few enough to be quick. */
const AMOUNT = 100;
const RUN = { amount: AMOUNT, sampleMs: 10 };

interface Check {
  server: string;
  scenario: string;
  expected: number;
  statusCounts: Record<string, number>;
  errors: number;
  cpuUsPerRequest: number;
}

/** What is wrong with one smoke run (nothing: undefined). */
function mismatch(check: Check): string | undefined {
  const { expected, statusCounts, errors, cpuUsPerRequest } = check;
  const wrong = Object.entries(statusCounts).filter(([code]) => Number(code) !== expected);
  const got = statusCounts[String(expected)] ?? 0;
  if (errors > 0 || wrong.length > 0 || got !== AMOUNT)
    return `expected ${AMOUNT} × ${expected}, got ${JSON.stringify(statusCounts)} and ${errors} errors/timeouts`;
  if (!Number.isFinite(cpuUsPerRequest) || cpuUsPerRequest <= 0)
    return `server CPU per request is ${cpuUsPerRequest}`;
  return undefined;
}

export async function runSmoke(
  log: (...args: unknown[]) => void,
  resultsPath: string,
): Promise<void> {
  const startedAt = Date.now();
  const failures: string[] = [];
  const checks: Check[] = [];
  const record = (server: RunningServer, scenario: string, expected: number, m: Measured) => {
    const check = {
      server: server.name,
      scenario,
      expected,
      statusCounts: m.result.statusCounts,
      errors: m.result.errors,
      cpuUsPerRequest: m.cpuUsPerRequest,
    };
    checks.push(check);
    const problem = mismatch(check);
    if (problem !== undefined) failures.push(`${server.name} ${scenario}: ${problem}`);
  };

  log('smoke: micro functions, a few ms each');
  const micro = await runMicro({ ms: 5, rounds: 1 });
  for (const row of micro) {
    for (const [key, value] of Object.entries(row)) {
      if (key !== 'alg' && key !== 'rounds' && !(Number.isFinite(value) && value > 0))
        failures.push(`micro ${row.alg} ${key}: ${value}`);
    }
  }

  const issuer = await startTestIssuer({
    audience: RESOURCE,
    algorithms: ['ES256'],
    scope: 'todo:read todo:write',
  });
  let servers: RunningServer[] = [];
  try {
    const tokens = await mintTokens(issuer, 2 * AMOUNT);
    const base = baseConfig(issuer);
    const fixed: ServerConfig[] = GROUPS.flat().map(([framework, variant]) => ({
      ...base,
      framework,
      variant,
    }));
    const mcp: ServerConfig[] = MCP_GROUPS.flat().map((c) => ({ ...base, ...c }));
    log(`smoke: starting ${fixed.length + mcp.length} servers`);
    const [fixedServers = [], mcpServers = []] = await startGroups([fixed, mcp]);
    servers = [...fixedServers, ...mcpServers];
    const loadFor = createLoads(tokens, fixedServers);
    for (const server of fixedServers) {
      for (const scenario of SCENARIOS) {
        const measured = await measure(server, loadFor(scenario, server), RUN);
        record(server, scenario, expectedStatus(scenario, server.variant), measured);
      }
    }
    for (const server of mcpServers) {
      const target = await prepareMcpTarget(server, tokens.valid).catch((error: Error) => {
        failures.push(error.message);
      });
      if (target === undefined) continue;
      if (server.variant !== 'bare')
        await checkMcpRefusal(target).catch((error: Error) => failures.push(error.message));
      record(server, 'mcp tools/call', 200, await measure(server, target.load, RUN));
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await issuer.close();
  }

  const durationSec = (Date.now() - startedAt) / 1000;
  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(
    resultsPath,
    `${JSON.stringify({ date: new Date().toISOString(), durationSec, micro, checks, failures }, null, 2)}\n`,
  );
  log(`smoke: ${checks.length} runs of ${AMOUNT} requests in ${durationSec.toFixed(1)} s`);
  if (failures.length > 0) {
    throw new Error(`smoke failed:\n  ${failures.join('\n  ')}`);
  }
  log('smoke: every status as expected');
}
