/**
 * `pnpm bench:signatures`: the core's signature paths under load. In process (one caller, and
 * 32 in flight) and over HTTP (10 connections, every request a new token, no cache), for
 * ES256 and RS256: jose's Web Crypto path, `node:crypto`'s `verify` called synchronously, and
 * its callback form (on libuv's thread pool, as Web Crypto runs). Prints a table and writes
 * `results/signatures.json`.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTestIssuer } from '@org/mcp-auth-testing';
import { runLoad } from './macro.js';
import { median } from './stats.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const SECONDS = quick ? 2 : 3;
const POOL = quick ? 3_000 : 8_000;
const RESOURCE = 'http://127.0.0.1/mcp';
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const VARIANTS = [
  { name: 'jose (Web Crypto)', path: 'jose', mode: 'sync' },
  { name: 'node:crypto sync', path: 'node', mode: 'sync' },
  { name: 'node:crypto callback', path: 'node', mode: 'callback' },
] as const;

interface Child {
  port: number;
  child: ChildProcess;
  cpu(): Promise<number>;
}

async function start(config: Record<string, unknown>): Promise<Child> {
  const child = fork(here('../dist/signature-modes-server.js'), [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 30_000);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.port as number);
      }
    });
  });
  const cpu = () =>
    new Promise<number>((resolve) => {
      const onMessage = (m: { type?: string; micros?: number }) => {
        if (m.type !== 'cpu') return;
        child.off('message', onMessage);
        resolve(m.micros as number);
      };
      child.on('message', onMessage);
      child.send({ type: 'cpu' });
    });
  return { port, child, cpu };
}

/** The in-process figures, from the compiled micro script (its own process). */
function inProcess(): Array<Record<string, number | string>> {
  const out = execFileSync(
    process.execPath,
    [here('../dist/signature-modes-micro.js'), quick ? '200' : '400', quick ? '3' : '5'],
    { encoding: 'utf8' },
  );
  const rows = JSON.parse(out.trim().split('\n').pop() as string) as Array<
    Record<string, number | string>
  >;
  for (const row of rows) {
    const floor = row.floor as number;
    const cells = Object.entries(row)
      .filter(([k]) => !['alg', 'inFlight', 'floor'].includes(k))
      .map(([k, v]) => `${k} ${((v as number) / floor).toFixed(2)}×`);
    console.log(
      `${row.alg}  in process, ${String(row.inFlight).padStart(2)} in flight: floor ${floor.toFixed(0)} ops/s; ${cells.join(', ')}`,
    );
  }
  return rows;
}

async function main() {
  const micro = inProcess();
  const issuer = await startTestIssuer({ audience: RESOURCE, algorithms: ['ES256', 'RS256'] });
  const results: Array<Record<string, unknown>> = [];
  const children: Child[] = [];
  try {
    for (const alg of ['ES256', 'RS256'] as const) {
      const pool: string[] = [];
      while (pool.length < POOL) {
        const batch = Array.from({ length: 250 }, (_, i) =>
          issuer.mintAccessToken({ key: alg, claims: { sub: `u${pool.length + i}` } }),
        );
        pool.push(...(await Promise.all(batch)));
      }
      const servers = await Promise.all(
        VARIANTS.map((v) =>
          start({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, resource: RESOURCE, ...v }),
        ),
      );
      children.push(...servers);
      let cursor = 0;
      const load = {
        authorization: () => `Bearer ${pool[cursor++ % pool.length]}`,
        body: '{}',
      };
      for (const s of servers) await runLoad(s.port, load, { durationSec: 1 }); // warm-up
      const rps = VARIANTS.map(() => [] as number[]);
      const cpu = VARIANTS.map(() => [] as number[]);
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
        for (const i of order) {
          const s = servers[i] as Child;
          const before = await s.cpu();
          const r = await runLoad(s.port, load, { durationSec: SECONDS });
          const after = await s.cpu();
          if (r.non2xx > 0 || r.errors > 0) throw new Error(`${alg}: failed requests`);
          (rps[i] as number[]).push(r.requestsPerSec);
          (cpu[i] as number[]).push((after - before) / r.total);
        }
      }
      VARIANTS.forEach((v, i) => {
        const row = {
          alg,
          variant: v.name,
          rps: median(rps[i] as number[]),
          rpsRange: [Math.min(...(rps[i] as number[])), Math.max(...(rps[i] as number[]))],
          cpuMicrosPerRequest: median(cpu[i] as number[]),
        };
        results.push(row);
        console.log(
          `${alg}  ${v.name.padEnd(22)} ${row.rps.toFixed(0).padStart(6)} req/s (${row.rpsRange.map((x) => x.toFixed(0)).join('–')})  CPU ${row.cpuMicrosPerRequest.toFixed(1)} µs/req`,
        );
      });
      for (const s of servers) s.child.kill();
    }
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill();
    await issuer.close();
  }
  mkdirSync(here('../results'), { recursive: true });
  writeFileSync(
    here('../results/signatures.json'),
    `${JSON.stringify({ date: new Date().toISOString(), load: loadavg(), micro, results }, null, 2)}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
