/** Renders the results section of bench/README.md from a results object. */
import type { CpuRow, McpRow, MemoryResult, Target } from './analyse.js';
import type { MicroRow } from './micro.js';
import { type Spread, showMicroseconds, showRatio } from './stats.js';

const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

interface Results {
  mode: string;
  date: string;
  durationSec: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    node: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
  };
  versions: Record<string, string>;
  settings: { durationSec: number; rounds: number; pool: number; memoryTokens: number };
  micro: MicroRow[];
  macro: Array<{ scenario: string; rps: Record<string, number>; ratios: Record<string, number> }>;
  cpu: CpuRow[];
  mcp: McpRow[];
  rss: Record<string, number>;
  memory?: MemoryResult | undefined;
  targets: Target[];
}

const n = (v: number | undefined) =>
  v !== undefined && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—';
const x = (v: number | undefined) =>
  v !== undefined && Number.isFinite(v) ? `${v.toFixed(2)}×` : '—';
const us = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
const signed = (v: number) =>
  Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}` : '—';
const range = (s: Spread, f: (v: number) => string) => `${f(s.min)} to ${f(s.max)}`;
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
const table = (head: string[], rows: string[][]) => [
  `| ${head.join(' | ')} |`,
  `|${head.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
];

/** Fixed-object servers, in the HTTP table's column order. */
const SERVERS: Array<[string, string]> = [
  ['express-bare', 'Express bare'],
  ['express-ours', 'Express + ours'],
  ['express-sdk', 'Express + SDK'],
  ['fastify-bare', 'Fastify bare'],
  ['fastify-ours', 'Fastify + ours'],
  ['hono-bare', 'Hono bare'],
  ['hono-ours', 'Hono + ours'],
  ['hono-ours-twin', 'Hono + ours (twin)'],
];
const RATIOS: Array<[string, string]> = [
  ['express-ours/bare', 'Express ours/bare'],
  ['express-sdk/bare', 'Express SDK/bare'],
  ['fastify-ours/bare', 'Fastify ours/bare'],
  ['hono-ours/bare', 'Hono ours/bare'],
  ['hono-ours-twin/bare', 'Hono ours (twin)/bare'],
  ['express-ours/sdk', 'Express ours/SDK'],
];
const label = (server: string) => SERVERS.find(([s]) => s === server)?.[1] ?? server;

/**
 * Replaces the text between the results markers of `readme` (or appends the section).
 *
 * @example
 * ```ts
 * writeFileSync('README.md', renderReadme(readFileSync('README.md', 'utf8'), results));
 * ```
 */
export function renderReadme(readme: string, r: Results): string {
  const lines: string[] = [];
  lines.push(START, '');
  lines.push(`## Results (${r.mode} run, ${r.date.slice(0, 16).replace('T', ' ')} UTC)`, '');
  lines.push(
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB.toFixed(1)} GiB; Node ${r.machine.node}. ` +
      `Load average (1/5/15 min) before: ${load(r.machine.loadAverageBefore)}, after: ${load(r.machine.loadAverageAfter)}; ` +
      'a load well above 1 means the run shared the machine and absolute figures are noisy. Ratios are computed pair by pair within a round.',
    '',
  );
  lines.push(
    `Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  );
  lines.push(
    `Settings: ${r.settings.rounds} round(s) × ${r.settings.durationSec} s per run, 10 connections, loopback, ES256 tokens; ` +
      `valid-distinct cycles ${n(r.settings.pool)} pre-minted tokens per server. Run time ${Math.round(r.durationSec)} s.`,
    '',
  );
  lines.push('### Targets', '');
  lines.push(
    ...table(
      ['target', 'measured', ''],
      r.targets.map((t) => [t.target, t.measured, t.met ? 'met' : '**not met**']),
    ),
  );
  lines.push('', '### Verification, ops/s (in-process, one token, median)', '');
  lines.push(
    ...table(
      [
        'alg',
        'node:crypto floor',
        'jose jwtVerify',
        'ours cold',
        'ours warm',
        'cold / floor',
        'cold / jose',
        'warm / jose',
      ],
      r.micro.map((m) => [
        m.alg,
        n(m.floorOps),
        n(m.joseOps),
        n(m.coldOps),
        n(m.warmNodeOps),
        x(m.coldOps / m.floorOps),
        x(m.coldOps / m.joseOps),
        x(m.warmNodeOps / m.joseOps),
      ]),
    ),
  );
  lines.push(
    '',
    '### HTTP, requests/s (median over rounds) and ratios (median of per-round pairs)',
    '',
  );
  lines.push(
    ...table(
      ['scenario', ...SERVERS.map(([, l]) => l), ...RATIOS.map(([, l]) => l)],
      r.macro.map((m) => [
        m.scenario,
        ...SERVERS.map(([s]) => n(m.rps[s])),
        ...RATIOS.map(([k]) => x(m.ratios[k])),
      ]),
    ),
  );
  lines.push(
    '',
    '### Server CPU per request, µs (user + system; median over rounds, added per round)',
    '',
  );
  lines.push(
    ...table(
      ['scenario', 'server', 'bare', 'server', 'added (median)', 'added (rounds)'],
      r.cpu.map((c) => [
        c.scenario,
        label(c.target),
        us(c.baselineUs),
        us(c.targetUs),
        signed(c.added.median),
        range(c.added, signed),
      ]),
    ),
  );
  lines.push('', '### MCP servers: `tools/call` through the MCP SDK, reused valid token', '');
  lines.push(
    ...table(
      [
        'framework',
        'mode',
        'bare req/s',
        'protected req/s',
        'protected / bare',
        'bare CPU µs/req',
        'protected CPU µs/req',
        'added CPU µs/req',
      ],
      r.mcp.map((m) => [
        m.framework,
        m.mode,
        n(m.bareRps),
        n(m.oursRps),
        showRatio(m.ratio),
        us(m.bareCpuUs),
        us(m.oursCpuUs),
        showMicroseconds(m.addedCpu),
      ]),
    ),
  );
  lines.push('', '### Server RSS (highest after any run, MiB)', '');
  lines.push(
    ...table(
      ['server', 'RSS'],
      Object.entries(r.rss).map(([s, v]) => [s, v.toFixed(1)]),
    ),
  );
  if (r.memory) {
    const m = r.memory;
    lines.push(
      '',
      '### Memory: distinct tokens through one Express + ours server',
      '',
      `${n(m.tokens)} requests, each with its own valid token (after a GC): RSS ${m.rssBeforeMiB.toFixed(1)} → ${m.rssAfterMiB.toFixed(1)} MiB, ` +
        `growth ${m.growthMiB.toFixed(1)} MiB against a bound of ${m.boundMiB.toFixed(1)} MiB (cache maxBytes ${m.cacheMaxBytesMiB.toFixed(0)} MiB + 20 MiB); ` +
        `${m.failed} failed requests; ${n(m.requestsPerSec)} req/s.`,
    );
  }
  lines.push('', 'Raw figures: `results/latest.json`.', '', END);
  const section = lines.join('\n');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start >= 0 && end > start)
    return `${readme.slice(0, start)}${section}${readme.slice(end + END.length)}`;
  return `${readme.trimEnd()}\n\n${section}\n`;
}
