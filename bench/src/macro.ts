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

export const SCENARIOS = [
  'valid-reused',
  'valid-distinct',
  'no-token',
  'bad-signature',
  'insufficient-scope',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface RunningServer {
  name: string;
  framework: Framework;
  variant: Variant;
  port: number;
  child: ChildProcess;
  rss(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServer(
  config: ServerConfig,
  options: { exposeGc?: boolean } = {},
): Promise<RunningServer> {
  const child = fork(SERVER, [JSON.stringify(config)], {
    execArgv: options.exposeGc ? ['--expose-gc'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${config.framework}-${config.variant} did not start`)),
      60_000,
    );
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
    name: `${config.framework}-${config.variant}`,
    framework: config.framework,
    variant: config.variant,
    port,
    child,
    rss: () =>
      new Promise((resolve) => {
        const onMessage = (m: { type?: string; rss?: number }) => {
          if (m.type === 'rss') {
            child.off('message', onMessage);
            resolve(m.rss as number);
          }
        };
        child.on('message', onMessage);
        child.send({ type: 'rss' });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  requestsPerSec: number;
  latencyP50: number;
  latencyP99: number;
  total: number;
  errors: number;
  non2xx: number;
  statusCounts: Record<string, number>;
}

export interface Load {
  /** A fixed Authorization header, or a function picking one per request. */
  authorization?: string | (() => string);
  /** A `DPoP` proof per request (each proof is single-use). */
  dpop?: () => string;
  body: string;
}

/** One autocannon run: 10 connections, POST /mcp, for `durationSec` or `amount` requests. */
export async function runLoad(
  port: number,
  load: Load,
  run: { durationSec?: number; amount?: number },
): Promise<LoadResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
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
  const statusCounts: Record<string, number> = {};
  for (const code of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) {
    const n = (result as unknown as Record<string, number>)[code];
    if (n) statusCounts[code] = n;
  }
  return {
    requestsPerSec: result.requests.average,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    statusCounts,
  };
}
