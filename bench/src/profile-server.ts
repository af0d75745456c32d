/**
 * The server `pnpm bench:profile` (profile-express.ts) measures: Express or Fastify, bare or with our
 * adapter, as bench/src/server.ts builds them, plus a `noop` variant (one pass-through
 * middleware or hook in place of ours: what the framework charges for the extra step alone).
 * Runs as plain JavaScript in its own process (`pnpm bench:profile` compiles it with tsup first).
 * Reads its configuration from argv[2] (JSON) and reports `{ type: 'ready', port }` over IPC.
 * Answers `{ type: 'cpu' }` with its `process.cpuUsage()` and the garbage collections so far,
 * and `{ type: 'profile-start' }` / `{ type: 'profile-stop', file }` by starting the V8 CPU
 * profiler (the sampler behind `node --cpu-prof`) and writing its profile to `file`.
 * `adapter` (a module path exporting `mcpAuth`) replaces the built Express adapter, to compare
 * a change A/B without rebuilding.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { mcpAuth as expressMcpAuth } from '@org/mcp-auth-express';
import { mcpAuth as fastifyMcpAuth } from '@org/mcp-auth-fastify';
import express from 'express';
import fastify from 'fastify';
import { runChildServer } from './child-server.js';

export type ProfileFramework = 'express' | 'fastify';
export type ProfileVariant = 'bare' | 'noop' | 'ours';

export interface ProfileServerConfig {
  framework: ProfileFramework;
  variant: ProfileVariant;
  issuer: string;
  jwksUri: string;
  resource: string;
  /** Express only: a module exporting `mcpAuth`, used instead of `@org/mcp-auth-express`. */
  adapter?: string;
  /** Sampling interval of the profiler, µs (default 100). */
  profileIntervalUs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ProfileServerConfig;

const reply = (message: unknown) => ({
  jsonrpc: '2.0',
  id: (message as { id?: unknown } | undefined)?.id ?? null,
  result: { content: [{ type: 'text', text: 'ok' }] },
});

/** The options of bench/src/server.ts: the same policy, no session binding. */
const ourOptions = () => ({
  resource: config.resource,
  issuer: config.issuer,
  jwt: { jwksUri: config.jwksUri },
  policy: { baseline: 'todo:read', tools: { add_todo: 'todo:write' } },
  sessionBinding: false as const,
});

async function start(): Promise<number> {
  const path = new URL(config.resource).pathname;
  if (config.framework === 'express') {
    const app = express();
    const handler = (req: express.Request, res: express.Response) => {
      res.json(reply(req.body));
    };
    if (config.variant === 'bare') app.post(path, express.json(), handler);
    else if (config.variant === 'noop') {
      const pass: express.RequestHandler = (_req, _res, next) => next();
      app.post(path, express.json(), pass, handler);
    } else {
      const mcpAuth: typeof expressMcpAuth =
        config.adapter === undefined
          ? expressMcpAuth
          : (await import(pathToFileURL(config.adapter).href)).mcpAuth;
      const auth = mcpAuth(ourOptions());
      app.post(path, express.json(), auth.protect, handler);
    }
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () =>
        resolve((server.address() as AddressInfo).port),
      );
      server.keepAliveTimeout = 60_000;
    });
  }
  const app = fastify({ logger: false });
  if (config.variant === 'ours') await app.register(fastifyMcpAuth, ourOptions());
  if (config.variant === 'noop') app.addHook('onRequest', (_request, _reply, done) => done());
  app.post(path, async (request) => reply(request.body));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

const gc = { scavenges: 0, majors: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    // NODE_PERFORMANCE_GC_MINOR
    if (kind === 1) gc.scavenges++;
    else gc.majors++;
    gc.ms += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

// Connected only while profiling: nothing of the inspector is around during the CPU runs.
let session: Session | undefined;
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    (session as Session).post(method, params ?? {}, (error, result) =>
      error ? reject(error) : resolve(result),
    ),
  );

async function onMessage(message: { type?: string; file?: string }) {
  if (message?.type === 'cpu') {
    process.send?.({ type: 'cpu', cpu: process.cpuUsage(), gc: { ...gc } });
  } else if (message?.type === 'profile-start') {
    session = new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: config.profileIntervalUs ?? 100 });
    await post('Profiler.start');
    process.send?.({ type: 'profile-started' });
  } else if (message?.type === 'profile-stop') {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(message.file as string, JSON.stringify(profile));
    await post('Profiler.disable');
    session?.disconnect();
    session = undefined;
    process.send?.({ type: 'profile-stopped' });
  } else if (message?.type === 'exit') {
    process.exit(0);
  }
}
process.on('message', (message: { type?: string; file?: string }) => {
  onMessage(message).catch((error: unknown) => {
    console.error('profile server:', (error as Error).message);
    process.exit(1);
  });
});
runChildServer(start, 'profile server');
