#!/usr/bin/env node
/**
 * How should the Hono adapter read a JSON body for the scope policy? Compares, on the valid-token
 * `POST /mcp` path (token answered from the verified-token cache):
 *
 * - `replace`: read `c.req.raw` itself, then replace `c.req.text`/`c.req.json` and `c.req.raw`
 *   with an unread copy built on first access (the adapter before 1.0);
 * - `cached`:  read through Hono's own cached body API, `c.req.text()` (the handler's
 *   `c.req.text()`/`c.req.json()` answer from the same cache; `c.req.raw` is consumed); a body
 *   without `Content-Length` is counted on a clone;
 * - `clone`:   read `c.req.raw.clone()` (`c.req.raw` stays unread);
 * - `shipped`: the adapter as built in `../dist` (one of the above: the same code measured twice
 *   shows the run-to-run noise);
 * - `bare`:    no adapter, only `c.set('parsedBody', await c.req.json())`: the floor.
 *
 * Each run reports requests/s and CPU µs per request (the server process's, over HTTP): CPU time
 * is far less disturbed than throughput when other work shares the machine.
 *
 * Two handlers: `/sdk` uses `c.var.parsedBody`, as the MCP SDK's transport does when given
 * `parsedBody`; `/reread` reads the body again with `c.req.json()`. Requests carry
 * `Content-Length`, as MCP clients send them; in-process, `/sdk chunked` streams the body
 * without it (the path that counts bytes while reading).
 *
 * Over HTTP, each variant's app runs in its own child process (`@hono/node-server`) and is driven
 * by a keep-alive client in this process; in-process, `app.request()` runs in this process.
 * Variants are interleaved round by round (order rotated), so the spread of one variant across
 * rounds is the run-to-run noise to compare the differences with.
 *
 * Usage (after `pnpm build`): node packages/hono/bench/body-read.mjs [--rounds 5] [--seconds 2]
 *   [--connections 8] [--iterations 20000]
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import {
  BODY_TOO_LARGE,
  decide,
  isJsonContentType,
  parseJsonText,
  readBodyText,
  resolveAdapter,
  toResponse,
} from '@org/mcp-auth-core/adapter';
import { createTestIssuer } from '@org/mcp-auth-testing';
import { Hono } from 'hono';

const RESOURCE = 'https://mcp.example/mcp';
const POLICY = { tools: { list_todos: 'todo:read', add_todo: 'todo:write' } };
const BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'list_todos', arguments: {} },
});
const VARIANTS = ['replace', 'cached', 'clone', 'shipped', 'bare'];
const HTTP_SCENARIOS = ['/sdk', '/reread'];
const LOCAL_SCENARIOS = ['/sdk', '/reread', '/sdk chunked'];
const UNREADABLE = { ok: true, text: '' };
/** Contexts whose raw body variant (a) consumed itself. */
const consumedHere = new WeakSet();

/** (a) The pre-1.0 adapter: consume `c.req.raw`, then make `c.req` answer from what was read. */
async function readReplace(c, limit) {
  const raw = c.req.raw;
  if (raw.bodyUsed) return c.req.text().catch(() => '');
  const length = Number(raw.headers.get('content-length') ?? Number.NaN);
  let text;
  if (length >= 0 && length <= limit && !raw.headers.has('transfer-encoding')) {
    text = await raw.text().catch(() => '');
  } else {
    const read = await readBodyText(raw, { maxBodyBytes: limit }).catch(() => UNREADABLE);
    if (!read.ok) return undefined;
    text = read.text;
  }
  consumedHere.add(c);
  return text;
}

/** (a), after an allow: `c.req` answers from what was read; `c.req.raw` becomes an unread copy. */
function keepReadable(c, text, body) {
  const req = c.req;
  const { url, method, headers, signal } = req.raw;
  const readText = Promise.resolve(text);
  req.text = () => readText;
  const parsed = Promise.resolve(body);
  req.json = () => parsed;
  let copy;
  Object.defineProperty(req, 'raw', {
    configurable: true,
    enumerable: true,
    get: () => (copy ??= new Request(url, { method, headers, body: text, signal })),
    set: (value) => {
      copy = value;
    },
  });
}

/** (b) Hono's cached body API, `c.req.text()`; a body without Content-Length is counted on a clone. */
async function readCached(c, limit) {
  const { headers, bodyUsed } = c.req.raw;
  const length = Number(headers.get('content-length') ?? Number.NaN);
  if (length > limit) return undefined;
  if (bodyUsed || (length >= 0 && !headers.has('transfer-encoding'))) {
    return c.req.text().catch(() => '');
  }
  const read = await readBodyText(c.req.raw.clone(), { maxBodyBytes: limit }).catch(
    () => UNREADABLE,
  );
  return read.ok ? read.text : undefined;
}

/** (c) Read a clone; `c.req.raw` stays unread. */
async function readClone(c, limit) {
  if (c.req.raw.bodyUsed) return c.req.text().catch(() => '');
  const read = await readBodyText(c.req.raw.clone(), { maxBodyBytes: limit }).catch(
    () => UNREADABLE,
  );
  return read.ok ? read.text : undefined;
}

/** The adapter's decision flow around one way of reading the body. */
function protectWith({ core, maxBodyBytes }, readBody) {
  return async function protect(c, next) {
    const { method, url, headers } = c.req.raw;
    const wanted = core.needsBody && isJsonContentType(headers.get('content-type'));
    const text = wanted ? await readBody(c, maxBodyBytes) : '';
    if (text === undefined) return toResponse(BODY_TOO_LARGE);
    const body = parseJsonText(text);
    const decided = decide(core, { method, url, headers, body });
    const result = decided instanceof Promise ? await decided : decided;
    if (result.type === 'deny') return toResponse(result);
    if (consumedHere.has(c)) keepReadable(c, text, body);
    if (result.authInfo !== undefined) c.set('auth', result.authInfo);
    if (body !== undefined) c.set('parsedBody', body);
    let head = { status: 0, sessionId: undefined };
    try {
      await next();
      for (const name in result.headers) c.res.headers.set(name, result.headers[name]);
      head = { status: c.res.status, sessionId: c.res.headers.get('mcp-session-id') ?? undefined };
    } finally {
      if (result.session !== undefined) core.onResponse(result, head);
    }
  };
}

/** An app protecting `/sdk` and `/reread` with one variant. */
async function buildApp(variant, options) {
  let protect;
  if (variant === 'bare') {
    protect = async (c, next) => {
      c.set('parsedBody', await c.req.json());
      await next();
    };
  } else if (variant === 'shipped') {
    const { mcpAuth } = await import('../dist/index.js');
    protect = mcpAuth(options).protect;
  } else {
    const read = { replace: readReplace, cached: readCached, clone: readClone }[variant];
    protect = protectWith(resolveAdapter(options), read);
  }
  const app = new Hono();
  app.post('/sdk', protect, (c) => c.json({ jsonrpc: '2.0', id: c.var.parsedBody.id, result: {} }));
  app.post('/reread', protect, async (c) => {
    const message = await c.req.json();
    return c.json({ jsonrpc: '2.0', id: message.id, result: {} });
  });
  return app;
}

async function issuerAndToken() {
  const issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  const token = await issuer.mintAccessToken({ expiresIn: 3600 });
  const options = { resource: RESOURCE, issuer: issuer.issuer, jwt: { fetch: issuer.fetch } };
  return { options: { ...options, policy: POLICY }, token };
}

/** Child process: serve one variant on a free loopback port. */
async function child(variant) {
  const { options, token } = await issuerAndToken();
  const app = await buildApp(variant, options);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  process.send({ port: server.address().port, token });
  process.on('message', (m) => m === 'cpu' && process.send({ cpu: process.cpuUsage() }));
  process.on('disconnect', () => process.exit(0));
}

/** The CPU time (µs, user + system) a server child has used so far. */
function serverCpu(proc) {
  return new Promise((resolve) => {
    proc.once('message', ({ cpu }) => resolve(cpu.user + cpu.system));
    proc.send('cpu');
  });
}

/**
 * Drives `connections` keep-alive loops for `seconds`: requests/s, the server's CPU µs per
 * request (less sensitive than throughput to other load on the machine) and the non-200 count.
 */
async function load({ proc, port, token }, path, connections, seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const headers = {
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(BODY),
  };
  const once = () =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method: 'POST', headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        },
      );
      req.on('error', reject);
      req.end(BODY);
    });
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const loop = async () => {
    while (performance.now() < until) {
      if ((await once()) === 200) done += 1;
      else failed += 1;
    }
  };
  const cpuBefore = await serverCpu(proc);
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = ((await serverCpu(proc)) - cpuBefore) / done;
  agent.destroy();
  return { rate: done / elapsed, cpu, failed };
}

/** In-process: `iterations` sequential `app.request()` calls; requests/s and CPU µs each. */
async function inProcess(app, scenario, token, iterations) {
  const [path, chunked] = scenario.split(' ');
  const bytes = new TextEncoder().encode(BODY);
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const stream = () =>
    new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  const init = () =>
    chunked
      ? { method: 'POST', headers, body: stream(), duplex: 'half' }
      : {
          method: 'POST',
          headers: { ...headers, 'Content-Length': `${bytes.length}` },
          body: BODY,
        };
  let failed = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const res = await app.request(path, init());
    if (res.status !== 200) failed += 1;
    await res.arrayBuffer();
  }
  const elapsed = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpuBefore);
  return { rate: iterations / elapsed, cpu: (user + system) / iterations, failed };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `median (±spread%)`: the spread is half the min–max range over the median. */
function summary(values, digits) {
  const mid = median(values);
  const spread = ((Math.max(...values) - Math.min(...values)) / 2 / mid) * 100;
  return `${mid.toFixed(digits)} (±${spread.toFixed(0)}%)`;
}

function table(title, results, rounds, scenarios) {
  console.log(`\n### ${title}\n`);
  console.log('| variant | scenario | req/s | CPU µs/req | req/s vs replace | CPU vs replace |');
  console.log('|---|---|---|---|---|---|');
  for (const scenario of scenarios) {
    for (const variant of VARIANTS) {
      const runs = results[variant][scenario];
      const base = results.replace[scenario];
      const paired = (key) => median(runs.map((r, i) => r[key] / base[i][key])).toFixed(2);
      const failed = runs.reduce((n, r) => n + r.failed, 0);
      console.log(
        `| ${variant} | ${scenario} | ${summary(
          runs.map((r) => r.rate),
          0,
        )} | ${summary(
          runs.map((r) => r.cpu),
          1,
        )} | ${paired('rate')}× | ${paired('cpu')}×${failed ? ` (${failed} non-200!)` : ''} |`,
      );
    }
  }
  console.log(
    `\n${rounds} rounds: median (±half the min–max range); ratios are medians of per-round pairs.`,
  );
}

/** Runs `measure(variant, scenario)` for every pair, rounds interleaved, order rotated. */
async function interleave(rounds, scenarios, measure) {
  const results = Object.fromEntries(
    VARIANTS.map((v) => [v, Object.fromEntries(scenarios.map((s) => [s, []]))]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    for (const scenario of scenarios) {
      for (const variant of order)
        results[variant][scenario].push(await measure(variant, scenario));
    }
  }
  return results;
}

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '8' },
      iterations: { type: 'string', default: '20000' },
    },
  });
  const [rounds, seconds, connections, iterations] = [
    values.rounds,
    values.seconds,
    values.connections,
    values.iterations,
  ].map(Number);
  const [before] = loadavg();

  // Over HTTP, one child process per variant.
  const servers = {};
  for (const variant of VARIANTS) {
    const proc = fork(fileURLToPath(import.meta.url), ['--serve', variant], { stdio: 'inherit' });
    const { port, token } = await new Promise((resolve, reject) => {
      proc.once('message', resolve);
      proc.once('exit', (code) => reject(new Error(`${variant} server exited (${code})`)));
    });
    servers[variant] = { proc, port, token };
  }
  let http;
  try {
    const measure = (variant, path, duration = seconds) =>
      load(servers[variant], path, connections, duration);
    await interleave(1, HTTP_SCENARIOS, (v, p) => measure(v, p, Math.min(1, seconds))); // warm-up
    http = await interleave(rounds, HTTP_SCENARIOS, measure);
  } finally {
    for (const { proc } of Object.values(servers)) proc.kill();
  }

  // In-process, app.request().
  const { options, token } = await issuerAndToken();
  const apps = {};
  for (const variant of VARIANTS) apps[variant] = await buildApp(variant, options);
  const run = (n) => (variant, scenario) => inProcess(apps[variant], scenario, token, n);
  await interleave(1, LOCAL_SCENARIOS, run(Math.ceil(iterations / 10))); // warm-up
  const local = await interleave(rounds, LOCAL_SCENARIOS, run(iterations));

  const [after] = loadavg();
  console.log(
    `Node ${process.version}; load average (1 min) before ${before.toFixed(2)}, after ${after.toFixed(2)}`,
  );
  const overHttp = `Over HTTP (@hono/node-server, ${connections} connections, ${seconds} s per run)`;
  table(overHttp, http, rounds, HTTP_SCENARIOS);
  const inProc = `In-process (app.request(), ${iterations} sequential requests per run)`;
  table(inProc, local, rounds, LOCAL_SCENARIOS);
  process.exit(0);
}

if (process.argv[2] === '--serve') await child(process.argv[3]);
else await main();
