/**
 * `pnpm bench` (full, several minutes) or `pnpm bench --quick` (about a minute).
 * Writes results/latest.json and the results section of README.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { alterTokenPayload, type RunningTestIssuer, startTestIssuer } from '@org/mcp-auth-testing';
import {
  type LoadResult,
  type RunningServer,
  runLoad,
  SCENARIOS,
  type Scenario,
  startServer,
} from './macro.js';
import { median, runMicro } from './micro.js';
import { renderReadme } from './report.js';
import type { Framework, ServerConfig, Variant } from './server.js';

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
const memoryTokensFlag = process.argv.find((a) => a.startsWith('--memory-tokens='));
if (memoryTokensFlag) settings.memoryTokens = Number(memoryTokensFlag.split('=')[1]);
const RESOURCE = 'http://localhost/mcp';
/** The core's default `cache.maxBytes` (8 MiB): the memory target's bound. */
const DEFAULT_TOKEN_CACHE_BYTES = 8 * 1024 * 1024;
const BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'add_todo', arguments: { title: 'benchmark' } },
});
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const log = (...args: unknown[]) =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);

async function mintMany(
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

function packageVersion(name: string): string {
  try {
    const path = here(`../node_modules/${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

interface Measurement {
  round: number;
  scenario: Scenario;
  server: string;
  result: LoadResult;
  rssMiB: number;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  log(
    `mode ${quick ? 'quick' : 'full'}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );

  // -- micro ------------------------------------------------------------------------------
  log('micro: verification ops/s (ES256, RS256, EdDSA)');
  const micro =
    only === undefined || only === 'micro'
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
  const servers: RunningServer[] = [];
  let memory: Record<string, unknown> | undefined;
  const measurements: Measurement[] = [];
  try {
    const valid = await issuer.mintAccessToken({ key: 'ES256', expiresIn: 3600 });
    const badSignature = alterTokenPayload(valid, { sub: 'mallory' });
    const readOnly = await issuer.mintAccessToken({
      key: 'ES256',
      claims: { scope: 'todo:read' },
      expiresIn: 3600,
    });
    log(`minting ${settings.pool} distinct tokens for the valid-distinct scenario`);
    const pool = await mintMany(issuer, settings.pool, 'todo:read todo:write');

    const base = { issuer: issuer.issuer, jwksUri: issuer.jwksUri, resource: RESOURCE };
    const plan: Array<[Framework, Variant]> = [
      ['express', 'bare'],
      ['express', 'ours'],
      ['express', 'sdk'],
      ['fastify', 'bare'],
      ['fastify', 'ours'],
      ['hono', 'bare'],
      ['hono', 'ours'],
      ['hono', 'ours-twin'],
    ];
    if (only === undefined || only === 'macro') {
      log('starting servers (one child process each)');
      const started = await Promise.allSettled(
        plan.map(([framework, variant]) =>
          startServer({ ...base, framework, variant } as ServerConfig),
        ),
      );
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;

      const byName = new Map(servers.map((s) => [s.name, s]));
      const cursors = new Map<string, number>(servers.map((s, i) => [s.name, i * 1_000]));
      const loadFor = (scenario: Scenario, server: RunningServer) => {
        switch (scenario) {
          case 'valid-reused':
            return { authorization: `Bearer ${valid}`, body: BODY };
          case 'valid-distinct':
            return {
              authorization: () => {
                const i = cursors.get(server.name) as number;
                cursors.set(server.name, i + 1);
                return `Bearer ${pool[i % pool.length]}`;
              },
              body: BODY,
            };
          case 'no-token':
            return { body: BODY };
          case 'bad-signature':
            return { authorization: `Bearer ${badSignature}`, body: BODY };
          case 'insufficient-scope':
            return { authorization: `Bearer ${readOnly}`, body: BODY };
        }
      };

      // Every scenario's code path is compiled before anything is measured: a path first met
      // in a measured run (a cache miss, a 401) would otherwise pay its JIT warm-up there.
      log('warming up (every scenario)');
      for (const server of servers) {
        await runLoad(server.port, loadFor('valid-reused', server), {
          durationSec: settings.warmSec,
        });
        for (const scenario of SCENARIOS) {
          await runLoad(server.port, loadFor(scenario, server), {
            durationSec: settings.warmSec / 2,
          });
        }
      }

      const groups: RunningServer[][] = [
        ['express-bare', 'express-ours', 'express-sdk'],
        ['fastify-bare', 'fastify-ours'],
        ['hono-bare', 'hono-ours', 'hono-ours-twin'],
      ].map((names) => names.map((n) => byName.get(n) as RunningServer));

      for (let round = 0; round < settings.rounds; round++) {
        log(`round ${round + 1}/${settings.rounds}`);
        for (const scenario of SCENARIOS) {
          for (const group of groups) {
            // Baseline and targets interleaved; the order flips every round.
            const ordered = round % 2 === 0 ? group : [...group].reverse();
            for (const server of ordered) {
              const result = await runLoad(server.port, loadFor(scenario, server), {
                durationSec: settings.durationSec,
              });
              const rssMiB = (await server.rss()) / 2 ** 20;
              measurements.push({ round, scenario, server: server.name, result, rssMiB });
              log(
                `  ${scenario.padEnd(18)} ${server.name.padEnd(13)} ${result.requestsPerSec.toFixed(0).padStart(6)} req/s  p99 ${result.latencyP99} ms  ${JSON.stringify(result.statusCounts)}  errors ${result.errors}  rss ${rssMiB.toFixed(1)} MiB`,
              );
            }
          }
        }
      }
    }

    // -- memory ----------------------------------------------------------------------------
    if (only === undefined || only === 'memory') {
      log(`memory: minting ${settings.memoryTokens} distinct tokens`);
      const memoryTokens = await mintMany(issuer, settings.memoryTokens, 'todo:read todo:write');
      const server = await startServer(
        { ...base, framework: 'express', variant: 'ours' },
        { exposeGc: true },
      );
      try {
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
    await Promise.all(servers.map((s) => s.stop()));
    await issuer.close();
  }

  // -- results ----------------------------------------------------------------------------
  const rps = (round: number, scenario: Scenario, server: string) =>
    measurements.find((m) => m.round === round && m.scenario === scenario && m.server === server)
      ?.result.requestsPerSec ?? Number.NaN;
  const rounds = Array.from({ length: settings.rounds }, (_, i) => i);
  const pairRatios = (scenario: Scenario, target: string, baseline: string) =>
    rounds.map((r) => rps(r, scenario, target) / rps(r, scenario, baseline));
  const pairRatio = (scenario: Scenario, target: string, baseline: string) =>
    median(pairRatios(scenario, target, baseline));
  /** The median ratio and the range over the rounds, e.g. `0.81× (rounds 0.74–0.88)`. */
  const shown = (scenario: Scenario, target: string, baseline: string) => {
    const all = pairRatios(scenario, target, baseline);
    const range = `${Math.min(...all).toFixed(2)}–${Math.max(...all).toFixed(2)}`;
    return `${median(all).toFixed(2)}× (rounds ${range})`;
  };
  const medianRps = (scenario: Scenario, server: string) =>
    median(rounds.map((r) => rps(r, scenario, server)));
  const maxRss = (server: string) =>
    Math.max(...measurements.filter((m) => m.server === server).map((m) => m.rssMiB));

  const macro = SCENARIOS.map((scenario) => ({
    scenario,
    rps: Object.fromEntries(
      [
        'express-bare',
        'express-ours',
        'express-sdk',
        'fastify-bare',
        'fastify-ours',
        'hono-bare',
        'hono-ours',
        'hono-ours-twin',
      ].map((s) => [s, medianRps(scenario, s)]),
    ),
    ratios: {
      'express-ours/bare': pairRatio(scenario, 'express-ours', 'express-bare'),
      'express-sdk/bare': pairRatio(scenario, 'express-sdk', 'express-bare'),
      'fastify-ours/bare': pairRatio(scenario, 'fastify-ours', 'fastify-bare'),
      'hono-ours/bare': pairRatio(scenario, 'hono-ours', 'hono-bare'),
      'hono-ours-twin/bare': pairRatio(scenario, 'hono-ours-twin', 'hono-bare'),
      'express-ours/sdk': pairRatio(scenario, 'express-ours', 'express-sdk'),
    },
  }));
  const ratio = (scenario: Scenario, key: string): number =>
    (macro.find((m) => m.scenario === scenario)?.ratios as Record<string, number> | undefined)?.[
      key
    ] ?? Number.NaN;

  const minOver = (f: (r: (typeof micro)[number]) => number) => Math.min(...micro.map(f));
  const targets = [
    {
      target: 'verifier cold within 10% of jose jwtVerify (local key), every algorithm',
      measured: micro.map((r) => `${r.alg} ${(r.coldOps / r.joseOps).toFixed(2)}×`).join(', '),
      met: minOver((r) => r.coldOps / r.joseOps) >= 0.9,
    },
    {
      target: 'verifier warm ≥ 30× jose (the cache key the core picks: node:crypto on Node)',
      measured: micro.map((r) => `${r.alg} ${(r.warmNodeOps / r.joseOps).toFixed(1)}×`).join(', '),
      met: minOver((r) => r.warmNodeOps / r.joseOps) >= 30,
    },
    ...(
      [
        ['express', 0.9],
        ['fastify', 0.8],
        ['hono', 0.8],
      ] as const
    ).map(([f, min]) => ({
      target: `valid reused token: ${f} + ours ≥ ${min.toFixed(2)}× bare`,
      measured: shown('valid-reused', `${f}-ours`, `${f}-bare`),
      met: ratio('valid-reused', `${f}-ours/bare`) >= min,
    })),
    ...(['express', 'fastify', 'hono'] as const).map((f) => ({
      target: `no token: ${f} + ours ≥ 0.90× bare`,
      measured: shown('no-token', `${f}-ours`, `${f}-bare`),
      met: ratio('no-token', `${f}-ours/bare`) >= 0.9,
    })),
    {
      target: 'Express + ours ≥ 1.8× Express + SDK requireBearerAuth, valid reused token',
      measured: shown('valid-reused', 'express-ours', 'express-sdk'),
      met: ratio('valid-reused', 'express-ours/sdk') >= 1.8,
    },
    {
      target: 'Express + ours ≥ 1.8× Express + SDK requireBearerAuth, valid distinct tokens',
      measured: shown('valid-distinct', 'express-ours', 'express-sdk'),
      met: ratio('valid-distinct', 'express-ours/sdk') >= 1.8,
    },
    {
      target: `${settings.memoryTokens.toLocaleString('en-US')} distinct tokens through Express + ours: RSS growth < cache bound + 20 MiB, no failed request`,
      measured: memory
        ? `growth ${(memory.growthMiB as number).toFixed(1)} MiB (bound ${(memory.boundMiB as number).toFixed(1)} MiB), ${memory.failed} failed of ${memory.requests}`
        : 'not run',
      met:
        memory !== undefined &&
        (memory.growthMiB as number) < (memory.boundMiB as number) &&
        memory.failed === 0,
    },
  ];

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
    macro,
    rss: Object.fromEntries(
      [
        'express-bare',
        'express-ours',
        'express-sdk',
        'fastify-bare',
        'fastify-ours',
        'hono-bare',
        'hono-ours',
        'hono-ours-twin',
      ].map((s) => [s, maxRss(s)]),
    ),
    memory,
    targets,
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
  for (const t of targets) log(`  ${t.met ? 'MET    ' : 'NOT MET'} ${t.target}: ${t.measured}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
