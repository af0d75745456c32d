/**
 * One benchmark server, run in its own child process (forked by run.ts). Reads its
 * configuration from argv[2] (JSON), listens on 127.0.0.1 (free port), and reports
 * `{ type: 'ready', port }` over IPC. Answers `{ type: 'rss' }` with its resident set size
 * (after a GC when started with --expose-gc), and `{ type: 'cpu' }` with the CPU time it has
 * used so far (user + system, µs). With `mcp` set it serves a real MCP server instead of the
 * fixed JSON-RPC answer (see mcp-server.ts, loaded only then).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { mcpAuth as expressMcpAuth } from '@org/mcp-auth-express';
import { mcpAuth as fastifyMcpAuth } from '@org/mcp-auth-fastify';
import { mcpAuth as honoMcpAuth } from '@org/mcp-auth-hono';
import express from 'express';
import fastify from 'fastify';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { runChildServer } from './child-server.js';

export type Framework = 'express' | 'fastify' | 'hono';
/** `ours-twin`: a second, identical Hono + ours server: the two columns show the run's noise. */
export type Variant = 'bare' | 'ours' | 'ours-twin' | 'sdk';

export interface ServerConfig {
  framework: Framework;
  variant: Variant;
  issuer: string;
  jwksUri: string;
  /** Path of the MCP endpoint; the resource is `http://127.0.0.1:<port><path>` — fixed below. */
  resource: string;
  /** `dpop: { mode: 'allowed' }` on the protected variants (the DPoP benchmark). */
  dpop?: boolean;
  /** Serve the MCP SDK's McpServer over its Streamable HTTP transport (`bare` or `ours`). */
  mcp?: McpMode;
}

/** Stateless: a server and transport per request. Stateful: sessions by `Mcp-Session-Id`. */
export type McpMode = 'stateless' | 'stateful';

/** The scope policy every protected variant applies. */
export const POLICY = { baseline: 'todo:read', tools: { add_todo: 'todo:write' } };
export const SDK_REQUIRED_SCOPES = ['todo:read', 'todo:write'];

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;

interface RpcMessage {
  id?: unknown;
}

const reply = (message: unknown) => ({
  jsonrpc: '2.0',
  id: (message as RpcMessage | undefined)?.id ?? null,
  result: { content: [{ type: 'text', text: 'ok' }] },
});

const ourOptions = () => ({
  resource: config.resource,
  issuer: config.issuer,
  jwt: { jwksUri: config.jwksUri },
  policy: POLICY,
  sessionBinding: false as const,
  ...(config.dpop === true ? { dpop: { mode: 'allowed' as const } } : {}),
});

/** The peer: the MCP SDK's requireBearerAuth with a jose verifier over the same JWKS. */
function joseVerifier() {
  const jwks = createRemoteJWKSet(new URL(config.jwksUri));
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      // requireBearerAuth answers 401 only for its own InvalidTokenError (anything else is a 500).
      const { payload } = await jwtVerify(token, jwks, {
        issuer: config.issuer,
        audience: config.resource,
        typ: 'at+jwt',
      }).catch(() => {
        throw new InvalidTokenError('Invalid token');
      });
      return {
        token,
        clientId: String(payload.client_id ?? ''),
        scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
        ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }),
      };
    },
  };
}

async function start(): Promise<number> {
  if (config.mcp !== undefined) {
    const { startMcpServer } = await import('./mcp-server.js');
    return startMcpServer(config, ourOptions());
  }
  const path = new URL(config.resource).pathname;
  if (config.framework === 'express') {
    const app = express();
    const handler = (req: express.Request, res: express.Response) => {
      res.json(reply(req.body));
    };
    if (config.variant === 'bare') app.post(path, express.json(), handler);
    else if (config.variant === 'ours') {
      const auth = expressMcpAuth(ourOptions());
      app.post(path, express.json(), auth.protect, handler);
    } else {
      const guard = requireBearerAuth({
        verifier: joseVerifier(),
        requiredScopes: SDK_REQUIRED_SCOPES,
      });
      app.post(path, express.json(), guard, handler);
    }
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () =>
        resolve((server.address() as AddressInfo).port),
      );
      server.keepAliveTimeout = 60_000;
    });
  }
  if (config.framework === 'fastify') {
    const app = fastify({ logger: false });
    if (config.variant === 'ours') await app.register(fastifyMcpAuth, ourOptions());
    app.post(path, async (request) => reply(request.body));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  }
  const app = new Hono();
  if (config.variant === 'ours' || config.variant === 'ours-twin') {
    const auth = honoMcpAuth(ourOptions());
    // As the adapter's README shows: refusals (HTTPExceptions) are passed through as they are.
    app.onError((err, c) =>
      err instanceof HTTPException ? err.getResponse() : c.json({ error: 'internal' }, 500),
    );
    app.post(path, auth.protect, async (c) => c.json(reply(await c.req.json())));
  } else {
    app.post(path, async (c) => c.json(reply(await c.req.json())));
  }
  return new Promise((resolve) => {
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
  });
}

process.on('message', (message: { type?: string }) => {
  if (message?.type === 'rss') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ type: 'rss', value: process.memoryUsage().rss });
  } else if (message?.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'cpu', value: user + system });
  } else if (message?.type === 'exit') {
    process.exit(0);
  }
});
runChildServer(start, 'bench server');
