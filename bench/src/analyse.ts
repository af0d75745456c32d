/**
 * From the measured runs to what `pnpm bench` reports: medians over rounds, per-round pair
 * ratios, the server CPU each variant adds per request, and the targets.
 */
import { GROUPS, SCENARIOS, type Scenario, SERVER_NAMES } from './fixtures.js';
import type { LoadResult } from './macro.js';
import { MCP_GROUPS, type McpServerSpec, mcpServerName } from './mcp.js';
import type { MicroRow } from './micro.js';
import type { Framework } from './server.js';
import { median, type Spread, showMicroseconds, showRatio, spread } from './stats.js';

/** The MCP run's one scenario: `tools/call` of `echo` with a reused valid token. */
export const MCP_SCENARIO = 'mcp-tools-call';
export type RunScenario = Scenario | typeof MCP_SCENARIO;

export interface Measurement {
  round: number;
  scenario: RunScenario;
  server: string;
  result: LoadResult;
  /** Server CPU time over the run divided by the responses completed, µs. */
  cpuUsPerRequest: number;
  rssMiB: number;
}

export interface MemoryResult {
  tokens: number;
  requests: number;
  failed: number;
  statusCounts: Record<string, number>;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  growthMiB: number;
  cacheMaxBytesMiB: number;
  boundMiB: number;
  requestsPerSec: number;
}

/** A server measured against its group's baseline: `express-ours` against `express-bare`. */
export interface Comparison {
  target: string;
  baseline: string;
}

/** Every fixed-object comparison: each group's other servers against its first (bare). */
export const COMPARISONS: Comparison[] = [
  ...GROUPS.flatMap(([first, ...rest]) =>
    rest.map(([framework, variant]) => ({
      target: `${framework}-${variant}`,
      baseline: `${first?.[0]}-${first?.[1]}`,
    })),
  ),
  { target: 'express-ours', baseline: 'express-sdk' },
];

/** One row of the CPU table: µs per request of both servers, and what the target adds. */
export interface CpuRow extends Comparison {
  scenario: string;
  baselineUs: number;
  targetUs: number;
  added: Spread;
}

/** One row of the MCP table. */
export interface McpRow {
  framework: Framework;
  mode: string;
  bareRps: number;
  oursRps: number;
  ratio: Spread;
  bareCpuUs: number;
  oursCpuUs: number;
  addedCpu: Spread;
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

export function analyse(input: {
  measurements: Measurement[];
  rounds: number;
  micro: MicroRow[];
  memory: MemoryResult | undefined;
  /** Distinct tokens the memory run sends (named by its target even when not run). */
  memoryTokens: number;
}) {
  const { measurements, micro, memory } = input;
  const rounds = Array.from({ length: input.rounds }, (_, i) => i);
  const at = (round: number, scenario: RunScenario, server: string) =>
    measurements.find((m) => m.round === round && m.scenario === scenario && m.server === server);
  const rps = (r: number, scenario: RunScenario, server: string) =>
    at(r, scenario, server)?.result.requestsPerSec ?? Number.NaN;
  const cpu = (r: number, scenario: RunScenario, server: string) =>
    at(r, scenario, server)?.cpuUsPerRequest ?? Number.NaN;
  const medianOf = (f: typeof rps, scenario: RunScenario, server: string) =>
    median(rounds.map((r) => f(r, scenario, server)));
  /** Target / baseline req/s, pair by pair within each round. */
  const ratio = (scenario: RunScenario, { target, baseline }: Comparison) =>
    spread(rounds.map((r) => rps(r, scenario, target) / rps(r, scenario, baseline)));
  /** Target − baseline server CPU µs per request, pair by pair within each round. */
  const added = (scenario: RunScenario, { target, baseline }: Comparison) =>
    spread(rounds.map((r) => cpu(r, scenario, target) - cpu(r, scenario, baseline)));

  const macro = SCENARIOS.map((scenario) => ({
    scenario,
    rps: Object.fromEntries(SERVER_NAMES.map((s) => [s, medianOf(rps, scenario, s)])),
    cpuUs: Object.fromEntries(SERVER_NAMES.map((s) => [s, medianOf(cpu, scenario, s)])),
    ratios: Object.fromEntries(
      COMPARISONS.map((c) => [
        `${c.target}/${c.baseline.split('-').pop()}`,
        ratio(scenario, c).median,
      ]),
    ),
  }));

  const cpuRows: CpuRow[] = SCENARIOS.flatMap((scenario) =>
    COMPARISONS.filter((c) => c.baseline.endsWith('-bare')).map((c) => ({
      scenario,
      ...c,
      baselineUs: medianOf(cpu, scenario, c.baseline),
      targetUs: medianOf(cpu, scenario, c.target),
      added: added(scenario, c),
    })),
  );

  const mcp: McpRow[] = MCP_GROUPS.map(([first]) => {
    const { framework, mcp: mode } = first as McpServerSpec;
    const c = {
      target: mcpServerName(framework, mode, 'ours'),
      baseline: mcpServerName(framework, mode, 'bare'),
    };
    return {
      framework,
      mode,
      bareRps: medianOf(rps, MCP_SCENARIO, c.baseline),
      oursRps: medianOf(rps, MCP_SCENARIO, c.target),
      ratio: ratio(MCP_SCENARIO, c),
      bareCpuUs: medianOf(cpu, MCP_SCENARIO, c.baseline),
      oursCpuUs: medianOf(cpu, MCP_SCENARIO, c.target),
      addedCpu: added(MCP_SCENARIO, c),
    };
  });

  const rss = Object.fromEntries(
    [...new Set(measurements.map((m) => m.server))].map((s) => [
      s,
      Math.max(...measurements.filter((m) => m.server === s).map((m) => m.rssMiB)),
    ]),
  );

  return { macro, cpu: cpuRows, mcp, rss, targets: targets() };

  function targets(): Target[] {
    const atLeast = (target: string, s: Spread, min: number): Target => ({
      target,
      measured: showRatio(s),
      met: s.median >= min,
    });
    const ours = (framework: Framework): Comparison => ({
      target: `${framework}-ours`,
      baseline: `${framework}-bare`,
    });
    const expressAdded = added('valid-reused', ours('express'));
    const fastifyAdded = added('valid-reused', ours('fastify'));
    return [
      ...(['ES256', 'RS256'] as const).map((alg) => {
        const row = micro.find((m) => m.alg === alg);
        const s = spread(row?.rounds.map((r) => r.coldOps / r.floorOps) ?? []);
        return atLeast(`verifier cold ≥ 0.70× the node:crypto signature floor, ${alg}`, s, 0.7);
      }),
      atLeast(
        'valid distinct tokens: Express + ours ≥ 1.30× Express + SDK requireBearerAuth',
        ratio('valid-distinct', { target: 'express-ours', baseline: 'express-sdk' }),
        1.3,
      ),
      ...(
        [
          ['express', 0.9],
          ['fastify', 0.8],
          ['hono', 0.8],
        ] as const
      ).map(([f, min]) =>
        atLeast(
          `valid reused token: ${f} + ours ≥ ${min.toFixed(2)}× bare`,
          ratio('valid-reused', ours(f)),
          min,
        ),
      ),
      ...(['express', 'fastify', 'hono'] as const).map((f) =>
        atLeast(`no token: ${f} + ours ≥ 0.90× bare`, ratio('no-token', ours(f)), 0.9),
      ),
      {
        target:
          'server CPU the adapter adds per request (valid reused token, ours − bare): Express ≤ 1.5× Fastify',
        measured: Number.isFinite(expressAdded.median * fastifyAdded.median)
          ? `Express ${showMicroseconds(expressAdded)}, Fastify ${showMicroseconds(fastifyAdded)}${fastifyAdded.median > 0 ? `: ${(expressAdded.median / fastifyAdded.median).toFixed(2)}×` : ''}`
          : 'not run',
        met: expressAdded.median <= 1.5 * fastifyAdded.median,
      },
      ...mcp.map((row) =>
        atLeast(
          `MCP ${row.mode}, tools/call with a reused token: ${row.framework} + ours ≥ 0.95× bare`,
          row.ratio,
          0.95,
        ),
      ),
      {
        target: `${input.memoryTokens.toLocaleString('en-US')} distinct tokens through Express + ours: RSS growth < cache bound + 20 MiB, no failed request`,
        measured: memory
          ? `growth ${memory.growthMiB.toFixed(1)} MiB (bound ${memory.boundMiB.toFixed(1)} MiB), ${memory.failed} failed of ${memory.requests}`
          : 'not run',
        met: memory !== undefined && memory.growthMiB < memory.boundMiB && memory.failed === 0,
      },
    ];
  }
}
