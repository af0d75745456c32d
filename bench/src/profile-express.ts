/**
 * `pnpm bench:profile`: where the time our Express adapter adds goes.
 *
 * - CPU (default): the server process's `process.cpuUsage()` (user + system) over each load
 *   run, divided by the requests it answered, for bare and ours on Express and on Fastify (and
 *   a pass-through `noop` step on each); interleaved rounds, order flipped every round. Prints
 *   µs per request and the added µs (ours − bare, per round: median and range).
 * - `--profile`: the V8 CPU profile (100 µs sampling) of bare Express and Express + ours under
 *   the same load, and the per-request diff (ours − bare) of self time by function and by
 *   package, framework code included, and of inclusive time along the main call paths.
 *
 * Options: `--pin=N` (run every server on CPU N with taskset; with `--together`, bare and ours
 * then share that one CPU, time-sliced, so they see the same machine), `--together` (load one framework's servers at the same time, not one after the
 * other: on a shared machine, outside load then weighs on bare and ours alike), `--rounds=N` (7), `--seconds=S` per run (3), `--servers=a,b` (e.g.
 * `express-bare,express-ours`), `--adapter=name=/abs/path.js` (adds `express-name`: Express +
 * the `mcpAuth` that module exports, for an A/B of a change), `--profile-pair=a,b`,
 * `--min-us=X` (smallest diff listed, 0.3), `--keep=dir` (keep the .cpuprofile files).
 * Servers run as plain JavaScript (the script compiles profile-server.ts with tsup first).
 * Valid token reused (a cache hit in the core), ES256, 10 connections, loopback.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestIssuer } from '@org/mcp-auth-testing';
import autocannon from 'autocannon';
import type { ProfileServerConfig } from './profile-server.js';
import { BODY, RESOURCE } from './fixtures.js';

const SERVER = fileURLToPath(new URL('../dist/profile-server.js', import.meta.url));

const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const args = (name: string) =>
  process.argv.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const rounds = Number(arg('rounds') ?? 7);
const seconds = Number(arg('seconds') ?? 3);
const minUs = Number(arg('min-us') ?? 0.3);
const profileMode = process.argv.includes('--profile');
const together = process.argv.includes('--together');
const pin = arg('pin');
const keep = arg('keep');
const adapters = new Map(
  args('adapter').map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
);

const log = (...parts: unknown[]) =>
  console.log(`[profile ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;

interface Server {
  name: string;
  port: number;
  child: ChildProcess;
  ask<T>(message: object, answer: string): Promise<T>;
}

interface CpuReading {
  cpu: { user: number; system: number };
  gc: { scavenges: number; majors: number; ms: number };
}

async function startServer(name: string, base: Omit<ProfileServerConfig, 'framework' | 'variant'>) {
  const [framework, variant] = name.split('-') as [string, string];
  const adapter = adapters.get(variant);
  const config = {
    ...base,
    framework,
    variant: adapter === undefined ? variant : 'ours',
    ...(adapter === undefined ? {} : { adapter }),
  } as ProfileServerConfig;
  // `--pin=N`: every server on CPU N (taskset), the load generator elsewhere.
  const child = fork(SERVER, [JSON.stringify(config)], {
    ...(pin === undefined
      ? { execArgv: [] }
      : { execPath: 'taskset', execArgv: ['-c', pin, process.execPath] }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.port as number);
      }
    });
  });
  child.removeAllListeners('exit');
  const ask = <T>(message: object, answer: string) =>
    new Promise<T>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`${name} exited with ${code}`));
      const on = (m: { type?: string }) => {
        if (m.type !== answer) return;
        child.off('message', on);
        child.off('exit', exited);
        resolve(m as T);
      };
      child.on('message', on);
      child.once('exit', exited);
      child.send(message);
    });
  return { name, port, child, ask } satisfies Server;
}

async function runLoad(port: number, authorization: string, durationSec: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/mcp`,
    connections: 10,
    pipelining: 1,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: BODY,
    duration: durationSec,
  });
  const r = result as unknown as Record<string, number>;
  if ((r['2xx'] ?? 0) !== result.requests.total || result.errors > 0) {
    throw new Error(`port ${port}: not every request answered 2xx`);
  }
  return result.requests.total;
}

interface Measured {
  usPerRequest: number;
  /** Wall time per request (1 / throughput), µs: what a requests/s ratio reflects. */
  wallUsPerRequest: number;
  requests: number;
  scavengesPer1k: number;
}

async function measureCpu(server: Server, authorization: string): Promise<Measured> {
  const before = await server.ask<CpuReading>({ type: 'cpu' }, 'cpu');
  const requests = await runLoad(server.port, authorization, seconds);
  const after = await server.ask<CpuReading>({ type: 'cpu' }, 'cpu');
  const us = after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
  return {
    usPerRequest: us / requests,
    wallUsPerRequest: (seconds * 1e6) / requests,
    requests,
    scavengesPer1k: ((after.gc.scavenges - before.gc.scavenges) * 1000) / requests,
  };
}

// -- profile analysis ----------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `express/lib/response.js`, `@org/mcp-auth-node`, `node:_http_server`, … */
function shortUrl(url: string): string {
  const pkg = url.match(/\/packages\/([^/]+)\/dist\/(.*)$/);
  if (pkg) return `@org/${pkg[1]}/${pkg[2]}`;
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}

/** What a frame is counted under in the by-package table. */
function category(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const pkg = url.match(/\/packages\/([^/]+)\/dist\//);
  if (pkg) return `@org/mcp-auth-${pkg[1]}`;
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) {
    const rest = url.slice(i + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] as string);
  }
  if (url.startsWith('node:_http') || url.startsWith('node:http')) return 'node:_http_*';
  if (url.startsWith('node:internal/streams') || url === 'node:stream') return 'node streams';
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? 'node internal' : url;
  return 'bench server';
}

interface Tally {
  requests: number;
  self: Map<string, number>;
  inclusive: Map<string, number>;
  byCategory: Map<string, number>;
}

const emptyTally = (): Tally => ({
  requests: 0,
  self: new Map(),
  inclusive: new Map(),
  byCategory: new Map(),
});
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

function tallyProfile(profile: CpuProfile, requests: number, into: Tally): void {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    if (url === '') return functionName || '(anonymous native)';
    return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
  };
  const { samples, timeDeltas } = profile;
  // A sample stands for the time until the next one, but no more than a few intervals: a
  // longer gap is time the process was not running (another process had the CPU), which the
  // sampler would otherwise charge to whatever function it was preempted in.
  const cap = 3 * (median(timeDeltas.slice(1)) || 100);
  for (let i = 0; i < samples.length; i++) {
    const us = i + 1 < timeDeltas.length ? Math.min(timeDeltas[i + 1] as number, cap) : 0;
    const node = byId.get(samples[i] as number) as ProfileNode;
    const key = keyOf(node);
    if (key === '(idle)') continue;
    add(into.self, key, us);
    add(into.byCategory, category(node.callFrame.url, node.callFrame.functionName), us);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = keyOf(byId.get(id) as ProfileNode);
      if (k === '(root)' || seen.has(k)) continue;
      seen.add(k);
      add(into.inclusive, k, us);
    }
  }
  into.requests += requests;
}

function diffTable(
  title: string,
  a: Map<string, number>,
  aRequests: number,
  b: Map<string, number>,
  bRequests: number,
  limit: number,
  threshold: number,
): void {
  const keys = new Set([...a.keys(), ...b.keys()]);
  const rows = [...keys]
    .map((k) => {
      const bare = (a.get(k) ?? 0) / aRequests;
      const ours = (b.get(k) ?? 0) / bRequests;
      return { k, bare, ours, diff: ours - bare };
    })
    .filter((r) => Math.abs(r.diff) >= threshold)
    .sort((x, y) => y.diff - x.diff)
    .slice(0, limit);
  console.log(`\n${title} (µs per request)`);
  console.log(`${'first'.padStart(8)} ${'this'.padStart(8)} ${'diff'.padStart(8)}  item`);
  for (const r of rows) {
    console.log(
      `${r.bare.toFixed(2).padStart(8)} ${r.ours.toFixed(2).padStart(8)} ${r.diff.toFixed(2).padStart(8)}  ${r.k}`,
    );
  }
}

const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);

// -- main ----------------------------------------------------------------------------------

async function main() {
  const issuer = await startTestIssuer({
    audience: RESOURCE,
    algorithms: ['ES256'],
    scope: 'todo:read todo:write',
  });
  const servers: Server[] = [];
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'mcp-auth-profile-'));
  mkdirSync(dir, { recursive: true });
  try {
    const token = await issuer.mintAccessToken({ key: 'ES256', expiresIn: 3600 });
    const authorization = `Bearer ${token}`;
    const base = { issuer: issuer.issuer, jwksUri: issuer.jwksUri, resource: RESOURCE };
    const pair = (arg('profile-pair') ?? 'express-bare,express-ours').split(',');
    const names = profileMode
      ? pair
      : (
          arg('servers') ??
          [
            'express-bare',
            'express-noop',
            'express-ours',
            ...[...adapters.keys()].map((a) => `express-${a}`),
            'fastify-bare',
            'fastify-noop',
            'fastify-ours',
          ].join(',')
        ).split(',');
    for (const name of names) servers.push(await startServer(name, base));
    log(`servers: ${names.join(', ')}; load average ${load()}`);
    for (const s of servers) await runLoad(s.port, authorization, 2); // warm-up

    if (!profileMode) {
      const per = new Map<string, Measured[]>(names.map((n) => [n, []]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        if (together) {
          // One framework's servers loaded at the same time: whatever else the machine does
          // weighs on bare and ours alike.
          for (const framework of new Set(order.map((s) => s.name.split('-')[0]))) {
            const group = order.filter((s) => s.name.startsWith(`${framework}-`));
            const measured = await Promise.all(group.map((s) => measureCpu(s, authorization)));
            for (const [i, s] of group.entries()) per.get(s.name)?.push(measured[i] as Measured);
          }
        } else {
          for (const s of order) per.get(s.name)?.push(await measureCpu(s, authorization));
        }
        log(
          `round ${round + 1}/${rounds}: ${names
            .map((n) => `${n} ${per.get(n)?.at(-1)?.usPerRequest.toFixed(1)}`)
            .join('  ')}  (load ${load()})`,
        );
      }
      console.log('\nserver CPU µs per request (median [range]), scavenges per 1000 requests');
      for (const n of names) {
        const m = per.get(n) as Measured[];
        const us = m.map((x) => x.usPerRequest);
        console.log(
          `  ${n.padEnd(22)} ${median(us).toFixed(1).padStart(6)} [${range(us)}]  req/run ${median(m.map((x) => x.requests)).toFixed(0)}  scavenges/1k ${median(m.map((x) => x.scavengesPer1k)).toFixed(2)}  wall µs/req ${median(m.map((x) => x.wallUsPerRequest)).toFixed(1)}`,
        );
      }
      console.log('\nadded CPU µs per request, per round (median [range])');
      const added = new Map<string, number[]>();
      for (const n of names) {
        const [framework, variant] = n.split('-');
        if (variant === 'bare' || !names.includes(`${framework}-bare`)) continue;
        const bare = per.get(`${framework}-bare`) as Measured[];
        const xs = (per.get(n) as Measured[]).map(
          (m, i) => m.usPerRequest - (bare[i] as Measured).usPerRequest,
        );
        added.set(n, xs);
        const wall = (per.get(n) as Measured[]).map(
          (m, i) => m.wallUsPerRequest - (bare[i] as Measured).wallUsPerRequest,
        );
        console.log(
          `  ${n.padEnd(22)} ${median(xs).toFixed(1).padStart(6)} [${range(xs)}]   wall (1/throughput) ${median(wall).toFixed(1)} [${range(wall)}]`,
        );
      }
      const fastify = added.get('fastify-ours');
      if (fastify) {
        console.log('\nExpress added / Fastify added, per round (median [range])');
        for (const [n, xs] of added) {
          if (!n.startsWith('express-')) continue;
          const ratios = xs.map((x, i) => x / (fastify[i] as number));
          console.log(`  ${n.padEnd(22)} ${median(ratios).toFixed(2)} [${range(ratios)}]`);
        }
      }
      log(`load average at the end ${load()}`);
      return;
    }

    const tallies = new Map<string, Tally>(names.map((n) => [n, emptyTally()]));
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      const profileOne = async (s: Server) => {
        const file = join(dir, `${s.name}-${round}.cpuprofile`);
        await s.ask({ type: 'profile-start' }, 'profile-started');
        const requests = await runLoad(s.port, authorization, seconds);
        await s.ask({ type: 'profile-stop', file }, 'profile-stopped');
        return { s, file, requests };
      };
      const runs = together
        ? await Promise.all(order.map(profileOne))
        : await order.reduce<Promise<Array<Awaited<ReturnType<typeof profileOne>>>>>(
            async (done, s) => [...(await done), await profileOne(s)],
            Promise.resolve([]),
          );
      for (const { s, file, requests } of runs) {
        tallyProfile(
          JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
          requests,
          tallies.get(s.name) as Tally,
        );
      }
      log(`profile round ${round + 1}/${rounds} (load ${load()})`);
    }
    const a = tallies.get(names[0] as string) as Tally;
    for (const name of names.slice(1)) {
      const b = tallies.get(name) as Tally;
      console.log(
        `\nprofiled (non-idle) µs per request: ${names[0]} ${(total(a.self) / a.requests).toFixed(1)} (${a.requests} requests), ${name} ${(total(b.self) / b.requests).toFixed(1)} (${b.requests} requests)`,
      );
      const title = (what: string) => `${what}: ${names[0]} → ${name}`;
      diffTable(
        title('self time by package'),
        a.byCategory,
        a.requests,
        b.byCategory,
        b.requests,
        40,
        0,
      );
      diffTable(title('self time by function'), a.self, a.requests, b.self, b.requests, 60, minUs);
      diffTable(
        title('inclusive time by function'),
        a.inclusive,
        a.requests,
        b.inclusive,
        b.requests,
        60,
        minUs,
      );
    }
    log(`load average at the end ${load()}`);
  } finally {
    for (const s of servers) s.child.send({ type: 'exit' });
    await issuer.close();
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
