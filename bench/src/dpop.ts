/**
 * `pnpm bench:dpop`: what a DPoP proof costs per request, beside a Bearer token, in process
 * (`auth.authorize`) and through each adapter (autocannon against forked servers with
 * `dpop: { mode: 'allowed' }`). The token is reused in both cases (a cache hit), so the
 * difference is the proof check: signature with the embedded key, claims, `ath`, thumbprint,
 * replay cache. Proofs are signed beforehand (each is used once; signing is the client's cost).
 * Prints the figures and writes results/dpop.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createMcpAuth } from '@org/mcp-auth-core';
import { createDpopKey, type DpopKey, startTestIssuer } from '@org/mcp-auth-testing';
import { runLoad, startServer } from './macro.js';
import { median } from './stats.js';
import type { Framework } from './server.js';
import { BODY, RESOURCE } from './fixtures.js';

const quick = process.argv.includes('--quick');
const settings = quick
  ? { microMs: 300, microProofs: 1_000, rounds: 2, durationSec: 1, pool: 6_000 }
  : { microMs: 1_000, microProofs: 4_000, rounds: 4, durationSec: 2, pool: 10_000 };
const log = (...args: unknown[]) =>
  console.log(`[bench:dpop ${new Date().toISOString().slice(11, 19)}]`, ...args);

/** `count` fresh single-use proofs for POSTs to the resource with `token`. */
async function proofs(key: DpopKey, token: string, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, () =>
      key.proof({ method: 'POST', url: RESOURCE, accessToken: token }),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** Operations per second of `count` calls of `op`. */
async function opsPerSecOf(op: () => Promise<unknown>, count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await op();
  return (count * 1000) / (performance.now() - start);
}

/** Operations per second of `op` over about `ms` milliseconds (at least one batch). */
async function opsPerSec(op: () => Promise<unknown>, ms: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 50; i += 1) await op();
    n += 50;
  }
  return (n * 1000) / (performance.now() - start);
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  log(
    `mode ${quick ? 'quick' : 'full'}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const issuer = await startTestIssuer({
    audience: RESOURCE,
    algorithms: ['ES256'],
    scope: 'todo:read todo:write',
  });
  try {
    const key = await createDpopKey('ES256');
    const bearer = await issuer.mintAccessToken({ key: 'ES256', expiresIn: 3600 });
    const bound = await issuer.mintAccessToken({
      key: 'ES256',
      expiresIn: 3600,
      claims: { cnf: { jkt: key.jkt } },
    });

    // -- in process ----------------------------------------------------------------------
    const auth = createMcpAuth({
      resource: RESOURCE,
      issuer: issuer.issuer,
      jwt: { jwksUri: issuer.jwksUri },
      policy: { baseline: 'todo:read', tools: { add_todo: 'todo:write' } },
      sessionBinding: false,
      dpop: { mode: 'allowed' },
    });
    const body = JSON.parse(BODY) as unknown;
    const bearerRequest = {
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body,
    };
    // Warm both tokens into the verifier's cache.
    const warmProof = (await proofs(key, bound, 1))[0] as string;
    for (const r of [
      bearerRequest,
      { ...bearerRequest, headers: { authorization: `DPoP ${bound}`, dpop: warmProof } },
    ]) {
      const result = await auth.authorize(r);
      if (result.type !== 'allow')
        throw new Error(`warm-up refused: ${JSON.stringify(result.body)}`);
    }
    const inProcess: Array<{ bearer: number; dpop: number }> = [];
    for (let round = 0; round < settings.rounds; round += 1) {
      const pool = await proofs(key, bound, settings.microProofs);
      let next = 0;
      const bearerOps = await opsPerSec(() => auth.authorize(bearerRequest), settings.microMs);
      const dpopOps = await opsPerSecOf(async () => {
        const proof = pool[next++];
        if (proof === undefined) throw new Error('proof pool exhausted');
        const result = await auth.authorize({
          method: 'POST',
          url: '/mcp',
          headers: {
            authorization: `DPoP ${bound}`,
            dpop: proof,
            'content-type': 'application/json',
          },
          body,
        });
        if (result.type !== 'allow') throw new Error(`refused: ${JSON.stringify(result.body)}`);
      }, pool.length);
      inProcess.push({ bearer: bearerOps, dpop: dpopOps });
      log(
        `in process, round ${round + 1}: Bearer ${bearerOps.toFixed(0)}/s, DPoP ${dpopOps.toFixed(0)}/s`,
      );
    }

    // -- through each adapter ------------------------------------------------------------
    const http: Record<string, Array<{ bearer: number; dpop: number; failed: number }>> = {};
    for (const framework of ['express', 'fastify', 'hono'] as Framework[]) {
      const server = await startServer({
        framework,
        variant: 'ours',
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        resource: RESOURCE,
        dpop: true,
      });
      http[framework] = [];
      try {
        // Warm up: JWKS, cache, JIT.
        await runLoad(
          server.port,
          { authorization: `Bearer ${bearer}`, body: BODY },
          { amount: 500 },
        );
        const warm = await proofs(key, bound, 500);
        let w = 0;
        await runLoad(
          server.port,
          {
            authorization: `DPoP ${bound}`,
            dpop: () => warm[w++ % warm.length] as string,
            body: BODY,
          },
          { amount: 500 },
        );
        for (let round = 0; round < settings.rounds; round += 1) {
          // More proofs than the run can use: a proof used twice would be refused (counted below).
          const pool = await proofs(key, bound, settings.pool);
          let next = 0;
          const dpopLoad = {
            authorization: `DPoP ${bound}`,
            dpop: () => pool[next++ % pool.length] as string,
            body: BODY,
          };
          const bearerLoad = { authorization: `Bearer ${bearer}`, body: BODY };
          // Order flipped every round.
          const order =
            round % 2 === 0 ? (['bearer', 'dpop'] as const) : (['dpop', 'bearer'] as const);
          const results: Record<string, Awaited<ReturnType<typeof runLoad>>> = {};
          for (const which of order) {
            const result = await runLoad(server.port, which === 'bearer' ? bearerLoad : dpopLoad, {
              durationSec: settings.durationSec,
            });
            results[which] = { ...result, requestsPerSec: result.total / settings.durationSec };
          }
          const b = results.bearer as Awaited<ReturnType<typeof runLoad>>;
          const d = results.dpop as Awaited<ReturnType<typeof runLoad>>;
          http[framework].push({
            bearer: b.requestsPerSec,
            dpop: d.requestsPerSec,
            failed: b.non2xx + b.errors + d.non2xx + d.errors,
          });
          log(
            `${framework}, round ${round + 1}: Bearer ${b.requestsPerSec.toFixed(0)} req/s, DPoP ${d.requestsPerSec.toFixed(0)} req/s, non-2xx ${b.non2xx + d.non2xx}`,
          );
        }
      } finally {
        await server.stop();
      }
    }

    // -- report --------------------------------------------------------------------------
    const loadAfter = loadavg();
    const summary = {
      date: new Date().toISOString(),
      mode: quick ? 'quick' : 'full',
      loadBefore,
      loadAfter,
      inProcess: {
        bearerOps: median(inProcess.map((r) => r.bearer)),
        dpopOps: median(inProcess.map((r) => r.dpop)),
        ratio: median(inProcess.map((r) => r.dpop / r.bearer)),
        dpopMicroseconds: 1e6 / median(inProcess.map((r) => r.dpop)),
        bearerMicroseconds: 1e6 / median(inProcess.map((r) => r.bearer)),
      },
      http: Object.fromEntries(
        Object.entries(http).map(([framework, rounds]) => [
          framework,
          {
            bearerRps: median(rounds.map((r) => r.bearer)),
            dpopRps: median(rounds.map((r) => r.dpop)),
            ratio: median(rounds.map((r) => r.dpop / r.bearer)),
            ratioRange: [
              Math.min(...rounds.map((r) => r.dpop / r.bearer)),
              Math.max(...rounds.map((r) => r.dpop / r.bearer)),
            ],
            failed: rounds.reduce((n, r) => n + r.failed, 0),
          },
        ]),
      ),
    };
    const dir = fileURLToPath(new URL('../results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}dpop.json`, `${JSON.stringify(summary, null, 2)}\n`);
    const p = summary.inProcess;
    console.log('\nDPoP beside Bearer (reused token; one fresh ES256 proof per DPoP request)');
    console.log(
      `in process (auth.authorize): Bearer ${p.bearerOps.toFixed(0)}/s (${p.bearerMicroseconds.toFixed(1)} µs), DPoP ${p.dpopOps.toFixed(0)}/s (${p.dpopMicroseconds.toFixed(1)} µs), DPoP/Bearer ${p.ratio.toFixed(3)}×`,
    );
    for (const [framework, h] of Object.entries(summary.http)) {
      console.log(
        `${framework}: Bearer ${h.bearerRps.toFixed(0)} req/s, DPoP ${h.dpopRps.toFixed(0)} req/s, DPoP/Bearer ${h.ratio.toFixed(2)}× (rounds ${h.ratioRange[0]?.toFixed(2)}–${h.ratioRange[1]?.toFixed(2)}), failed ${h.failed}`,
      );
    }
    console.log(
      `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' / ')}`,
    );
  } finally {
    await issuer.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
