/**
 * Macro benchmarks: autocannon (10 connections, loopback) against forked servers.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Framework, ServerConfig, Variant } from './server.js';

/**
 * The server, compiled to plain JavaScript by `pnpm bench` before it runs (tsup): servers run
 * as users run them, without a TypeScript loader — tsx's module hooks add a cost per request
 * that differs between variants.
 */
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url));

export interface RunningServer {
  name: string;
  framework: Framework;
  variant: Variant;
  port: number;
  child: ChildProcess;
  /** Resident set size, bytes (after a GC when started with `exposeGc`). */
  rss(): Promise<number>;
  /** CPU time the server has used since it started (user + system), µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/** Asks the server child for one figure over IPC (`{ type }` → `{ type, value }`). */
function ask(child: ChildProcess, type: 'rss' | 'cpu'): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no ${type} answer from the server`));
    }, 30_000);
    const onMessage = (m: { type?: string; value?: number }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m.value as number);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

export async function startServer(
  config: ServerConfig,
  options: { exposeGc?: boolean } = {},
): Promise<RunningServer> {
  const name = [config.framework, config.mcp && `mcp-${config.mcp}`, config.variant]
    .filter(Boolean)
    .join('-');
  const child = fork(SERVER, [JSON.stringify(config)], {
    execArgv: options.exposeGc ? ['--expose-gc'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 60_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.port as number);
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    name,
    framework: config.framework,
    variant: config.variant,
    port,
    child,
    rss: () => ask(child, 'rss'),
    cpu: () => ask(child, 'cpu'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Starts every group's servers in parallel and answers them grouped as given; if one fails,
 * stops the others and throws its error.
 */
export async function startGroups(groups: ServerConfig[][]): Promise<RunningServer[][]> {
  const started = await Promise.allSettled(groups.flat().map((config) => startServer(config)));
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  let next = 0;
  return groups.map((group) => group.map(() => servers[next++] as RunningServer));
}

export interface LoadResult {
  requestsPerSec: number;
  latencyP50: number;
  latencyP99: number;
  total: number;
  errors: number;
  non2xx: number;
  /** Responses by status code, e.g. `{ "200": 1000 }`. */
  statusCounts: Record<string, number>;
}

export interface Load {
  /** A fixed Authorization header, or a function picking one per request. */
  authorization?: string | (() => string);
  /** A `DPoP` proof per request (each proof is single-use). */
  dpop?: () => string;
  /** More request headers (the MCP runs: `accept`, `mcp-protocol-version`, `mcp-session-id`). */
  headers?: Record<string, string>;
  body: string;
}

/**
 * How long one run lasts: `durationSec`, or until `amount` requests are answered. autocannon
 * reports at its next sample tick (`sampleMs`, 1 s by default), so short `amount` runs (the
 * smoke) set a short tick.
 */
export interface RunLength {
  durationSec?: number;
  amount?: number;
  sampleMs?: number;
}

/** One autocannon run: 10 connections, POST /mcp. */
export async function runLoad(port: number, load: Load, run: RunLength): Promise<LoadResult> {
  const sampleMs = run.sampleMs ?? 1000;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...load.headers,
  };
  if (typeof load.authorization === 'string') headers.authorization = load.authorization;
  const pickAuthorization =
    typeof load.authorization === 'function' ? load.authorization : undefined;
  const { dpop } = load;
  const perRequest =
    pickAuthorization === undefined && dpop === undefined
      ? undefined
      : () => ({
          ...(pickAuthorization === undefined ? {} : { authorization: pickAuthorization() }),
          ...(dpop === undefined ? {} : { dpop: dpop() }),
        });
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/mcp`,
    connections: 10,
    pipelining: 1,
    method: 'POST',
    headers,
    body: load.body,
    ...(run.amount === undefined ? { duration: run.durationSec ?? 5 } : { amount: run.amount }),
    sampleInt: sampleMs,
    ...(perRequest === undefined
      ? {}
      : {
          requests: [
            {
              setupRequest: (request: { headers?: Record<string, string> }) => ({
                ...request,
                headers: { ...request.headers, ...perRequest() },
              }),
            },
          ],
        }),
  } as autocannon.Options);
  const statusCounts = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]),
  );
  return {
    // autocannon's request counts are per sample tick.
    requestsPerSec: (result.requests.average * 1000) / sampleMs,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statusCounts,
  };
}

/** One measured run: the load's figures, the server's CPU per response and its RSS after. */
export interface Measured {
  result: LoadResult;
  /** Server CPU time (user + system) over the run divided by the responses completed, µs. */
  cpuUsPerRequest: number;
  rssMiB: number;
}

/** {@link runLoad} with the server's CPU time read before and after, and its RSS after. */
export async function measure(
  server: RunningServer,
  load: Load,
  run: RunLength,
): Promise<Measured> {
  const cpuBefore = await server.cpu();
  const result = await runLoad(server.port, load, run);
  const cpuAfter = await server.cpu();
  const rssMiB = (await server.rss()) / 2 ** 20;
  const cpuUsPerRequest = result.total > 0 ? (cpuAfter - cpuBefore) / result.total : Number.NaN;
  return { result, cpuUsPerRequest, rssMiB };
}
