/**
 * `pnpm bench` (full, several minutes), `pnpm bench --quick` (about two minutes) or
 * `pnpm bench --smoke` (every server and scenario once, a few seconds; see smoke.ts).
 * `--only=micro|macro|mcp|memory` runs one part. Writes results/latest.json and the results
 * section of README.md (a full run, or any run with --readme).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTestIssuer } from '@org/mcp-auth-testing';
import {
  analyse,
  MCP_SCENARIO,
  type Measurement,
  type MemoryResult,
  type RunScenario,
} from './analyse.js';
import {
  BODY,
  baseConfig,
  createLoads,
  GROUPS,
  mintMany,
  mintTokens,
  RESOURCE,
  SCENARIOS,
} from './fixtures.js';
import {
  type Load,
  measure,
  type RunningServer,
  runLoad,
  startServer,
  startGroups,
} from './macro.js';
import { MCP_GROUPS, type McpTarget, prepareMcpTarget } from './mcp.js';
import { runMicro } from './micro.js';
import { renderReadme } from './report.js';
import { runSmoke } from './smoke.js';

const quick = process.argv.includes('--quick');
const settings = quick
  ? {
      microMs: 150,
      microRounds: 3,
      durationSec: 1,
      rounds: 1,
      warmSec: 1,
      pool: 12_000,
      memoryTokens: 10_000,
    }
  : {
      microMs: 500,
      microRounds: 5,
      // Five short rounds rather than three long ones: on a shared machine the noise is in
      // bursts, and a median of five pairs rides them out better.
      durationSec: 3,
      rounds: 5,
      warmSec: 2,
      pool: 12_000,
      memoryTokens: 100_000,
    };

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const runs = (part: 'micro' | 'macro' | 'mcp' | 'memory') => only === undefined || only === part;
const memoryTokensFlag = process.argv.find((a) => a.startsWith('--memory-tokens='));
if (memoryTokensFlag) settings.memoryTokens = Number(memoryTokensFlag.split('=')[1]);
/** The core's default `cache.maxBytes` (8 MiB): the memory target's bound. */
const DEFAULT_TOKEN_CACHE_BYTES = 8 * 1024 * 1024;
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const log = (...args: unknown[]) =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

function packageVersion(name: string): string {
  try {
    const path = here(`../node_modules/${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Warms every server up on every scenario (a path first met in a measured run — a cache miss,
 * a 401 — would otherwise pay its JIT warm-up there), then measures the groups round by round:
 * within a group the baseline and its targets interleaved, the order flipped every round.
 */
async function measureGroups<S extends RunScenario>(
  groups: RunningServer[][],
  scenarios: readonly S[],
  loadFor: (scenario: S, server: RunningServer) => Load,
  measurements: Measurement[],
): Promise<void> {
  log('warming up (every scenario)');
  for (const server of groups.flat()) {
    for (const scenario of scenarios) {
      await runLoad(server.port, loadFor(scenario, server), {
        durationSec: scenario === scenarios[0] ? settings.warmSec : settings.warmSec / 2,
      });
    }
  }
  for (let round = 0; round < settings.rounds; round++) {
    log(`round ${round + 1}/${settings.rounds}`);
    for (const scenario of scenarios) {
      for (const group of groups) {
        const ordered = round % 2 === 0 ? group : [...group].reverse();
        for (const server of ordered) {
          const m = await measure(server, loadFor(scenario, server), {
            durationSec: settings.durationSec,
          });
          measurements.push({ round, scenario, server: server.name, ...m });
          log(
            `  ${scenario.padEnd(18)} ${server.name.padEnd(26)} ${m.result.requestsPerSec.toFixed(0).padStart(6)} req/s  cpu ${m.cpuUsPerRequest.toFixed(1).padStart(6)} µs/req  p99 ${m.result.latencyP99} ms  ${JSON.stringify(m.result.statusCounts)}  errors ${m.result.errors}  rss ${m.rssMiB.toFixed(1)} MiB`,
          );
        }
      }
    }
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--smoke')) return runSmoke(log, here('../results/smoke.json'));
  const startedAt = new Date();
  const loadBefore = loadavg();
  log(
    `mode ${quick ? 'quick' : 'full'}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );

  // -- micro ------------------------------------------------------------------------------
  log('micro: verification ops/s (ES256, RS256, EdDSA)');
  const micro = runs('micro')
    ? await runMicro({ ms: settings.microMs, rounds: settings.microRounds })
    : [];
  for (const r of micro) {
    log(
      `  ${r.alg}: floor ${r.floorOps.toFixed(0)}  jose ${r.joseOps.toFixed(0)}  cold ${r.coldOps.toFixed(0)}  warm ${r.warmNodeOps.toFixed(0)}`,
    );
  }

  // -- macro ------------------------------------------------------------------------------
  const issuer = await startTestIssuer({
    audience: RESOURCE,
    algorithms: ['ES256'],
    scope: 'todo:read todo:write',
  });
  let memory: MemoryResult | undefined;
  const measurements: Measurement[] = [];
  try {
    const pool = runs('macro') || runs('memory') ? settings.pool : 0;
    log(`minting ${pool} distinct tokens for the valid-distinct scenario`);
    const tokens = await mintTokens(issuer, pool);
    const base = baseConfig(issuer);
    if (runs('macro')) {
      log('starting servers (one child process each)');
      const groups = await startGroups(
        GROUPS.map((g) => g.map(([framework, variant]) => ({ ...base, framework, variant }))),
      );
      try {
        const loadFor = createLoads(tokens, groups.flat());
        await measureGroups(groups, SCENARIOS, loadFor, measurements);
      } finally {
        await Promise.all(groups.flat().map((s) => s.stop()));
      }
    }

    // -- MCP servers -------------------------------------------------------------------------
    if (runs('mcp')) {
      log('MCP: starting the MCP SDK servers, bare and protected, stateless and stateful');
      const groups = await startGroups(MCP_GROUPS.map((g) => g.map((c) => ({ ...base, ...c }))));
      try {
        const targets = new Map<RunningServer, McpTarget>();
        for (const server of groups.flat())
          targets.set(server, await prepareMcpTarget(server, tokens.valid));
        await measureGroups(
          groups,
          [MCP_SCENARIO],
          (_scenario, server) => (targets.get(server) as McpTarget).load,
          measurements,
        );
      } finally {
        await Promise.all(groups.flat().map((s) => s.stop()));
      }
    }

    // -- memory ----------------------------------------------------------------------------
    if (runs('memory')) {
      log(`memory: minting ${settings.memoryTokens} distinct tokens`);
      const memoryTokens = await mintMany(issuer, settings.memoryTokens, 'todo:read todo:write');
      const server = await startServer(
        { ...base, framework: 'express', variant: 'ours' },
        { exposeGc: true },
      );
      try {
        const { pool, valid } = tokens;
        await runLoad(
          server.port,
          { authorization: `Bearer ${valid}`, body: BODY },
          { amount: 5_000 },
        );
        // Warm-up to a steady heap: distinct tokens from the pool (the cache fills to its bound).
        let warm = 0;
        await runLoad(
          server.port,
          { authorization: () => `Bearer ${pool[warm++ % pool.length]}`, body: BODY },
          { amount: pool.length },
        );
        const rssBefore = await server.rss();
        let next = 0;
        log(`memory: ${memoryTokens.length} requests, each with its own token`);
        const result = await runLoad(
          server.port,
          {
            authorization: () => `Bearer ${memoryTokens[next++ % memoryTokens.length]}`,
            body: BODY,
          },
          { amount: memoryTokens.length },
        );
        const rssAfter = await server.rss();
        const growthMiB = (rssAfter - rssBefore) / 2 ** 20;
        const boundMiB = DEFAULT_TOKEN_CACHE_BYTES / 2 ** 20 + 20;
        memory = {
          tokens: memoryTokens.length,
          requests: result.total,
          failed: result.errors + result.non2xx,
          statusCounts: result.statusCounts,
          rssBeforeMiB: rssBefore / 2 ** 20,
          rssAfterMiB: rssAfter / 2 ** 20,
          growthMiB,
          cacheMaxBytesMiB: DEFAULT_TOKEN_CACHE_BYTES / 2 ** 20,
          boundMiB,
          requestsPerSec: result.requestsPerSec,
        };
        log(
          `  RSS ${(rssBefore / 2 ** 20).toFixed(1)} → ${(rssAfter / 2 ** 20).toFixed(1)} MiB (growth ${growthMiB.toFixed(1)} MiB, bound ${boundMiB.toFixed(1)} MiB); failed ${memory.failed}`,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await issuer.close();
  }

  // -- results ----------------------------------------------------------------------------
  const analysed = analyse({
    measurements,
    rounds: settings.rounds,
    micro,
    memory,
    memoryTokens: settings.memoryTokens,
  });
  const results = {
    mode: quick ? 'quick' : 'full',
    date: startedAt.toISOString(),
    durationSec: (Date.now() - startedAt.getTime()) / 1000,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: totalmem() / 2 ** 30,
      node: process.version,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
    },
    versions: Object.fromEntries(
      [
        '@org/mcp-auth-core',
        '@org/mcp-auth-express',
        '@org/mcp-auth-fastify',
        '@org/mcp-auth-hono',
        '@modelcontextprotocol/sdk',
        'jose',
        'express',
        'fastify',
        'hono',
        '@hono/node-server',
        'autocannon',
      ].map((n) => [n, packageVersion(n)]),
    ),
    settings: { ...settings, connections: 10, scenarios: SCENARIOS },
    micro,
    ...analysed,
    memory,
    measurements,
  };
  mkdirSync(here('../results'), { recursive: true });
  writeFileSync(
    here(`../results/${only !== undefined ? 'partial' : quick ? 'quick' : 'latest'}.json`),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  if ((!quick && only === undefined) || process.argv.includes('--readme')) {
    const readmePath = here('../README.md');
    writeFileSync(readmePath, renderReadme(readFileSync(readmePath, 'utf8'), results));
  }
  log('targets:');
  for (const t of analysed.targets)
    log(`  ${t.met ? 'MET    ' : 'NOT MET'} ${t.target}: ${t.measured}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
