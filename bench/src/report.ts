/** Renders the results section of bench/README.md from a results object. */

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
  micro: Array<{
    alg: string;
    floorOps: number;
    joseOps: number;
    coldOps: number;
    warmNodeOps: number;
  }>;
  macro: Array<{ scenario: string; rps: Record<string, number>; ratios: Record<string, number> }>;
  rss: Record<string, number>;
  memory?: Record<string, unknown> | undefined;
  targets: Array<{ target: string; measured: string; met: boolean }>;
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');

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
  lines.push('### Targets', '', '| target | measured | |', '|---|---|---|');
  for (const t of r.targets)
    lines.push(`| ${t.target} | ${t.measured} | ${t.met ? 'met' : '**not met**'} |`);
  lines.push('', '### Verification, ops/s (in-process, one token, median)', '');
  lines.push(
    '| alg | node:crypto floor | jose jwtVerify | ours cold | ours warm | cold / jose | warm / jose |',
    '|---|---|---|---|---|---|---|',
  );
  for (const m of r.micro) {
    lines.push(
      `| ${m.alg} | ${n(m.floorOps)} | ${n(m.joseOps)} | ${n(m.coldOps)} | ${n(m.warmNodeOps)} | ${x(m.coldOps / m.joseOps)} | ${x(m.warmNodeOps / m.joseOps)} |`,
    );
  }
  lines.push(
    '',
    '### HTTP, requests/s (median over rounds) and ratios (median of per-round pairs)',
    '',
  );
  lines.push(
    '| scenario | Express bare | Express + ours | Express + SDK | Fastify bare | Fastify + ours | Hono bare | Hono + ours | Hono + ours (twin) | Express ours/bare | Express SDK/bare | Fastify ours/bare | Hono ours/bare | Hono ours (twin)/bare | Express ours/SDK |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const m of r.macro) {
    const q = m.rps;
    const k = m.ratios;
    lines.push(
      `| ${m.scenario} | ${n(q['express-bare'] ?? Number.NaN)} | ${n(q['express-ours'] ?? Number.NaN)} | ${n(q['express-sdk'] ?? Number.NaN)} | ${n(q['fastify-bare'] ?? Number.NaN)} | ${n(q['fastify-ours'] ?? Number.NaN)} | ${n(q['hono-bare'] ?? Number.NaN)} | ${n(q['hono-ours'] ?? Number.NaN)} | ${n(q['hono-ours-twin'] ?? Number.NaN)} | ${x(k['express-ours/bare'] ?? Number.NaN)} | ${x(k['express-sdk/bare'] ?? Number.NaN)} | ${x(k['fastify-ours/bare'] ?? Number.NaN)} | ${x(k['hono-ours/bare'] ?? Number.NaN)} | ${x(k['hono-ours-twin/bare'] ?? Number.NaN)} | ${x(k['express-ours/sdk'] ?? Number.NaN)} |`,
    );
  }
  lines.push(
    '',
    '### Server RSS (highest after any run, MiB)',
    '',
    '| server | RSS |',
    '|---|---|',
  );
  for (const [s, v] of Object.entries(r.rss)) lines.push(`| ${s} | ${v.toFixed(1)} |`);
  if (r.memory) {
    const m = r.memory as Record<string, number>;
    lines.push(
      '',
      '### Memory: distinct tokens through one Express + ours server',
      '',
      `${n(m.tokens as number)} requests, each with its own valid token (after a GC): RSS ${(m.rssBeforeMiB as number).toFixed(1)} → ${(m.rssAfterMiB as number).toFixed(1)} MiB, ` +
        `growth ${(m.growthMiB as number).toFixed(1)} MiB against a bound of ${(m.boundMiB as number).toFixed(1)} MiB (cache maxBytes ${(m.cacheMaxBytesMiB as number).toFixed(0)} MiB + 20 MiB); ` +
        `${m.failed} failed requests; ${n(m.requestsPerSec as number)} req/s.`,
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
