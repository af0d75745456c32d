/**
 * The MCP benchmark servers: the MCP SDK's McpServer with one tool (`echo`), served by its
 * Streamable HTTP transport on Express, Fastify or Hono (`@hono/node-server`), stateless (a
 * server and a transport per request) or stateful (sessions by `Mcp-Session-Id`), bare or
 * behind our adapter, mounted as the sample apps mount it. Loaded by server.ts only for
 * `mcp` configurations, so the fixed-object servers do not carry the SDK's server code.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  WebStandardStreamableHTTPServerTransport,
  type WebStandardStreamableHTTPServerTransportOptions,
} from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpAuthOptions } from '@org/mcp-auth-core';
import { mcpAuth as expressMcpAuth } from '@org/mcp-auth-express';
import { mcpAuth as fastifyMcpAuth } from '@org/mcp-auth-fastify';
import { type McpAuthEnv, mcpAuth as honoMcpAuth } from '@org/mcp-auth-hono';
import express from 'express';
import fastify from 'fastify';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { ServerConfig } from './server.js';

type Transport = StreamableHTTPServerTransport | WebStandardStreamableHTTPServerTransport;

/** The MCP server of every variant: one tool, `echo`, answering its `text` as text content. */
function createEchoServer(): McpServer {
  const server = new McpServer({ name: 'bench', version: '0.0.0' });
  server.registerTool(
    'echo',
    { description: 'Answers its text', inputSchema: { text: z.string() } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

/** The transport a request goes to, or the JSON-RPC error it gets (as the samples answer). */
type Routed<T> =
  | { transport: T; close?: () => void }
  | { error: { status: number; code: number; message: string } };

/**
 * Routes MCP requests to transports made by `make`: stateless, a new server and transport per
 * request; stateful, the session's transport, or a new session for an `initialize`.
 */
function createRouter<T extends Transport>(
  stateful: boolean,
  make: (options: WebStandardStreamableHTTPServerTransportOptions) => T,
) {
  const sessions = new Map<string, T>();
  return {
    /** Closes a session's transport (the adapter's `sessionBinding.onSessionEnd`). */
    end: (sessionId: string) => void sessions.get(sessionId)?.close(),
    async route(sessionId: string | undefined, body: unknown): Promise<Routed<T>> {
      if (!stateful) {
        const transport = make({ sessionIdGenerator: undefined });
        const server = createEchoServer();
        await server.connect(transport);
        return {
          transport,
          close: () => {
            void transport.close();
            void server.close();
          },
        };
      }
      const known = sessionId === undefined ? undefined : sessions.get(sessionId);
      if (known !== undefined) return { transport: known };
      if (sessionId !== undefined)
        return { error: { status: 404, code: -32001, message: 'Session not found' } };
      if (!isInitializeRequest(body))
        return { error: { status: 400, code: -32000, message: 'Bad Request: No session' } };
      const created = make({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId !== undefined) sessions.delete(created.sessionId);
      };
      await createEchoServer().connect(created);
      return { transport: created };
    },
  };
}

const errorBody = (code: number, message: string) => ({
  jsonrpc: '2.0',
  id: null,
  error: { code, message },
});

/** Starts the MCP server `config` describes; `ours` are the protected variant's options. */
export async function startMcpServer(config: ServerConfig, ours: McpAuthOptions): Promise<number> {
  const path = new URL(config.resource).pathname;
  const stateful = config.mcp === 'stateful';
  const protect = config.variant !== 'bare';
  if (config.framework === 'hono') {
    const router = createRouter(stateful, (o) => new WebStandardStreamableHTTPServerTransport(o));
    const app = new Hono<McpAuthEnv>();
    const handler = async (c: Context<McpAuthEnv>) => {
      const body = protect ? c.var.parsedBody : await c.req.json();
      const routed = await router.route(c.req.header('mcp-session-id'), body);
      if ('error' in routed) {
        const { status, code, message } = routed.error;
        return c.json(errorBody(code, message), status as 400);
      }
      return routed.transport.handleRequest(c.req.raw, { authInfo: c.var.auth, parsedBody: body });
    };
    if (protect) {
      const auth = honoMcpAuth(withSessionEnd(ours, router.end));
      app.onError((err, c) =>
        err instanceof HTTPException ? err.getResponse() : c.json({ error: 'internal' }, 500),
      );
      app.all(path, auth.protect, handler);
    } else app.all(path, handler);
    return new Promise((resolve) => {
      serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    });
  }
  const router = createRouter(stateful, (o) => new StreamableHTTPServerTransport(o));
  /** Hands a Node request to its transport (`req.auth` is read by the transport itself). */
  const handleNode = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> => {
    const header = req.headers['mcp-session-id'];
    const routed = await router.route(typeof header === 'string' ? header : undefined, body);
    if ('error' in routed) {
      const { status, code, message } = routed.error;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody(code, message)));
      return;
    }
    const { transport, close } = routed;
    if (close !== undefined) res.on('close', close);
    await transport.handleRequest(req, res, body);
  };
  if (config.framework === 'express') {
    const app = express();
    const handler = (req: express.Request, res: express.Response) => handleNode(req, res, req.body);
    if (protect) {
      // As the samples: auth.protect first (it reads the body itself), express.json() after.
      const auth = expressMcpAuth(withSessionEnd(ours, router.end));
      app.all(path, auth.protect, express.json(), handler);
    } else app.all(path, express.json(), handler);
    return new Promise((resolve) => {
      const server = app.listen(0, '127.0.0.1', () =>
        resolve((server.address() as AddressInfo).port),
      );
      server.keepAliveTimeout = 60_000;
    });
  }
  const app = fastify({ logger: false });
  // As the sample: only the MCP route is protected, by its own onRequest hook.
  if (protect)
    await app.register(fastifyMcpAuth, { ...withSessionEnd(ours, router.end), paths: [] });
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: path,
    ...(protect ? { onRequest: app.mcpAuth.protect } : {}),
    handler: async (request, reply) => {
      reply.hijack(); // the transport writes the response itself
      await handleNode(request.raw, reply.raw, request.body);
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

/**
 * The protected variant's options with session binding on, as the samples have it: a session
 * belongs to the token's owner, and a session the library ends has its transport closed.
 */
function withSessionEnd(ours: McpAuthOptions, end: (sessionId: string) => void): McpAuthOptions {
  return { ...ours, sessionBinding: { onSessionEnd: end } };
}
