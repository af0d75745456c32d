import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { DecisionEvent, McpAuthOptions, ScopePolicy } from '@org/mcp-auth-core';
import { mcpAuth as expressMcpAuth } from '@org/mcp-auth-express';
import { mcpAuth as fastifyMcpAuth } from '@org/mcp-auth-fastify';
import { type McpAuthEnv, mcpAuth as honoMcpAuth } from '@org/mcp-auth-hono';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { type RawRequest, type RawResponse, sendRaw } from './http.js';
import { createToolServer, SCOPE_POLICY, SCOPES, type ToolCall } from './tools.js';

/** The three adapters every HTTP attack runs against. */
export type AdapterName = 'express' | 'fastify' | 'hono';

/**
 * Every adapter, in the order `describe.each` runs them.
 *
 * @example
 * ```ts
 * describe.each(ADAPTERS)('%s', (adapter) => { ... });
 * ```
 */
export const ADAPTERS: readonly AdapterName[] = ['express', 'fastify', 'hono'];

/** The MCP endpoint's path on every harness server. */
export const MCP_PATH = '/mcp';

/** Largest JSON body the servers accept, as in the samples (4 MiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Options of {@link startSecurityServer}. */
export interface SecurityServerOptions {
  /** The authorization server: its identifier is trusted, its JWKS fetched over HTTP. */
  issuer: string;
  /** Scope policy. Default {@link SCOPE_POLICY}. */
  policy?: ScopePolicy;
  /** CORS of the MCP endpoint. Default the core's. */
  cors?: McpAuthOptions['cors'];
  /** Minimum time between JWKS refetches on an unknown `kid`, ms. Default 1 000 (the samples'). */
  jwksCooldownMs?: number;
  /**
   * Anything else for the core (merged last). A function is called once per server with its
   * adapter, resource and issuer, for options that depend on them (a `verifier` built for this
   * server's resource, listeners started after the options were written).
   */
  auth?: Partial<McpAuthOptions> | ((server: SecurityServerContext) => Partial<McpAuthOptions>);
}

/** What an `auth` option function learns about the server it configures. */
export interface SecurityServerContext {
  readonly adapter: AdapterName;
  /** `http://127.0.0.1:<port>/mcp`. */
  readonly resource: string;
  /** The environment's issuer identifier. */
  readonly issuer: string;
}

/** A running MCP server behind one adapter, on 127.0.0.1 and a free port. */
export interface SecurityServer {
  readonly adapter: AdapterName;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The canonical resource URI: `http://127.0.0.1:<port>/mcp` (the token `aud`). */
  readonly resource: string;
  /** Absolute URL of the path-inserted Protected Resource Metadata. */
  readonly metadataUrl: string;
  /** Every tool handler run, in order. */
  readonly toolCalls: ToolCall[];
  /** Every `onDecision` audit event, in order. */
  readonly decisions: DecisionEvent[];
  /** Everything the server logged itself (audit events as JSON, framework logs, errors). */
  readonly logs: string[];
  /** Every response received through {@link SecurityServer.send}, in order. */
  readonly responses: RawResponse[];
  /** Open MCP sessions (transports in the map). */
  sessionCount(): number;
  /** Sends a request to this server (path default `/mcp`). */
  send(request: RawRequest): Promise<RawResponse>;
  /** Closes every session, then the listener and its connections. */
  close(): Promise<void>;
}

interface Shared {
  resource: string;
  auth: McpAuthOptions;
  toolCalls: ToolCall[];
  logs: string[];
}

interface Mounted {
  /** The request listener, or `undefined` when the framework attached itself to the server. */
  listener?: RequestListener;
  sessionCount(): number;
  close(): Promise<void>;
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0' as const, id: null, error: { code, message } };
}

/** Closes every transport of a session map. */
async function closeAll(transports: Map<string, { close(): Promise<void> }>): Promise<void> {
  const open = [...transports.values()];
  transports.clear();
  await Promise.allSettled(open.map((t) => t.close()));
}

/**
 * The Node transport for a request, as the SDK's examples find it: the session's own, or a new
 * one for an `initialize` without a session id; otherwise the SDK's 404 or 400 to send.
 */
async function nodeTransportFor(
  shared: Shared,
  transports: Map<string, StreamableHTTPServerTransport>,
  request: { sessionId: string | undefined; method: string; body: unknown },
): Promise<StreamableHTTPServerTransport | { status: number; body: ReturnType<typeof rpcError> }> {
  const { sessionId } = request;
  const existing = sessionId === undefined ? undefined : transports.get(sessionId);
  if (existing !== undefined) return existing;
  if (sessionId !== undefined) return { status: 404, body: rpcError(-32001, 'Session not found') };
  if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
    return { status: 400, body: rpcError(-32000, 'Bad Request: No valid session ID provided') };
  }
  const created = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => void transports.set(id, created),
  });
  created.onclose = () => {
    if (created.sessionId !== undefined) transports.delete(created.sessionId);
  };
  await createToolServer(shared.toolCalls).connect(created);
  return created;
}

function mountExpress(shared: Shared): Mounted {
  const auth = expressMcpAuth(shared.auth, { maxBodyBytes: MAX_BODY_BYTES });
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const handleMcp: RequestHandler = async (req, res) => {
    const sessionId = req.header('mcp-session-id');
    const transport = await nodeTransportFor(shared, transports, {
      sessionId,
      method: req.method,
      body: req.body,
    });
    if (!(transport instanceof StreamableHTTPServerTransport)) {
      res.status(transport.status).json(transport.body);
      return;
    }
    await transport.handleRequest(req, res, req.body);
  };
  // Body-parser and other errors as JSON, never Express's HTML page with a stack.
  const jsonErrors: ErrorRequestHandler = (err, _req, res, _next) => {
    if (res.headersSent) return void res.end();
    const status = typeof err?.status === 'number' && err.status >= 400 ? err.status : 500;
    if (err?.type === 'entity.parse.failed') {
      return void res.status(400).json(rpcError(-32700, 'Parse error: Invalid JSON'));
    }
    if (status === 413)
      return void res.status(413).json(rpcError(-32600, 'Request body too large'));
    if (status < 500) return void res.status(status).json(rpcError(-32600, 'Invalid request'));
    shared.logs.push(`express error: ${err instanceof Error ? err.message : String(err)}`);
    res.status(500).json(rpcError(-32603, 'Internal server error'));
  };
  const app = express();
  app.disable('x-powered-by');
  app.use(auth.metadata);
  app.all(MCP_PATH, express.json({ limit: MAX_BODY_BYTES }), auth.protect, handleMcp);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'Not found' });
  });
  app.use(jsonErrors);
  return { listener: app, sessionCount: () => transports.size, close: () => closeAll(transports) };
}

async function mountFastify(shared: Shared, server: Server): Promise<Mounted> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  // Fastify's own request log, kept so the leak tests can read it.
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      shared.logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    logger: { level: 'info', stream },
    serverFactory: (handler: RequestListener) => server.on('request', handler),
  });
  await app.register(fastifyMcpAuth, { ...shared.auth, maxBodyBytes: MAX_BODY_BYTES });
  app.route({
    method: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    url: MCP_PATH,
    handler: async (request, reply) => {
      const header = request.headers['mcp-session-id'];
      const sessionId = typeof header === 'string' ? header : undefined;
      const transport = await nodeTransportFor(shared, transports, {
        sessionId,
        method: request.method,
        body: request.body,
      });
      if (!(transport instanceof StreamableHTTPServerTransport)) {
        return reply.code(transport.status).send(transport.body);
      }
      reply.hijack(); // the transport writes the response itself
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', error_description: 'Not found' }),
  );
  app.setErrorHandler((error: { statusCode?: number; code?: string; name?: string }, _r, reply) => {
    const status =
      typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    const parse =
      error.name === 'SyntaxError' ||
      /^FST_ERR_CTP_(INVALID|EMPTY)_JSON_BODY$/.test(error.code ?? '');
    if (status === 400 && parse) {
      return reply.code(400).send(rpcError(-32700, 'Parse error: Invalid JSON'));
    }
    if (status === 413) return reply.code(413).send(rpcError(-32600, 'Request body too large'));
    if (status < 500) return reply.code(status).send(rpcError(-32600, 'Invalid request'));
    shared.logs.push(`fastify error: ${error instanceof Error ? error.message : String(error)}`);
    return reply.code(500).send(rpcError(-32603, 'Internal server error'));
  });
  await app.ready();
  return {
    sessionCount: () => transports.size,
    async close() {
      await closeAll(transports);
      await app.close();
    },
  };
}

function mountHono(shared: Shared): Mounted {
  const auth = honoMcpAuth(shared.auth);
  const transports = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const app = new Hono<McpAuthEnv>();
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json(rpcError(-32600, 'Request body too large'), 413),
  });
  app.use(auth.metadata);
  app.all(MCP_PATH, limit, auth.protect, async (c) => {
    let body: unknown;
    if (c.req.method === 'POST') {
      try {
        body = await c.req.json();
      } catch {
        return c.json(rpcError(-32700, 'Parse error: Invalid JSON'), 400);
      }
    }
    const sessionId = c.req.header('mcp-session-id');
    let transport = sessionId === undefined ? undefined : transports.get(sessionId);
    if (transport === undefined) {
      if (sessionId !== undefined) return c.json(rpcError(-32001, 'Session not found'), 404);
      if (c.req.method !== 'POST' || !isInitializeRequest(body)) {
        return c.json(rpcError(-32000, 'Bad Request: No valid session ID provided'), 400);
      }
      const created = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void transports.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId !== undefined) transports.delete(created.sessionId);
      };
      await createToolServer(shared.toolCalls).connect(created);
      transport = created;
    }
    return transport.handleRequest(c.req.raw, { authInfo: c.var.auth, parsedBody: body });
  });
  app.notFound((c) => c.json({ error: 'not_found', error_description: 'Not found' }, 404));
  app.onError((error, c) => {
    // The adapter's refusals (400/401/403/413/503) carry their exact response.
    if (error instanceof HTTPException) return error.getResponse();
    shared.logs.push(`hono error: ${error.message}`);
    return c.json(rpcError(-32603, 'Internal server error'), 500);
  });
  return {
    listener: getRequestListener(app.fetch),
    sessionCount: () => transports.size,
    close: () => closeAll(transports),
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts one real MCP server (the SDK's McpServer and Streamable HTTP transport, stateful: one
 * transport per session, `DELETE` handled by the transport) behind `adapter`, on 127.0.0.1 and a
 * free port, wired as the samples wire it (minus their hand-written Origin check). Its resource
 * is `http://127.0.0.1:<port>/mcp`; every decision is recorded in `decisions` and `logs`.
 *
 * @example
 * ```ts
 * const server = await startSecurityServer('fastify', { issuer: issuer.issuer });
 * const res = await server.send({ method: 'POST', body: '{}' });
 * await server.close();
 * ```
 */
export async function startSecurityServer(
  adapter: AdapterName,
  options: SecurityServerOptions,
): Promise<SecurityServer> {
  const http = createServer();
  const port = await listen(http);
  const url = `http://127.0.0.1:${port}`;
  const resource = `${url}${MCP_PATH}`;
  const toolCalls: ToolCall[] = [];
  const decisions: DecisionEvent[] = [];
  const logs: string[] = [];
  const responses: RawResponse[] = [];
  let extra: Partial<McpAuthOptions> | undefined;
  try {
    extra =
      typeof options.auth === 'function'
        ? options.auth({ adapter, resource, issuer: options.issuer })
        : options.auth;
  } catch (error) {
    http.close();
    throw error;
  }
  const auth: McpAuthOptions = {
    resource,
    issuer: options.issuer,
    jwt: { jwksCooldownMs: options.jwksCooldownMs ?? 1_000 },
    policy: options.policy ?? SCOPE_POLICY,
    scopesSupported: SCOPES,
    resourceName: `Security harness (${adapter})`,
    ...(options.cors === undefined ? {} : { cors: options.cors }),
    onDecision: (event) => {
      decisions.push(event);
      logs.push(JSON.stringify(event));
    },
    ...extra,
  };
  const shared: Shared = { resource, auth, toolCalls, logs };
  let mounted: Mounted;
  try {
    mounted =
      adapter === 'express'
        ? mountExpress(shared)
        : adapter === 'fastify'
          ? await mountFastify(shared, http)
          : mountHono(shared);
  } catch (error) {
    http.close();
    throw error;
  }
  if (mounted.listener) http.on('request', mounted.listener);
  return {
    adapter,
    url,
    resource,
    metadataUrl: `${url}/.well-known/oauth-protected-resource${MCP_PATH}`,
    toolCalls,
    decisions,
    logs,
    responses,
    sessionCount: mounted.sessionCount,
    async send(request) {
      const response = await sendRaw(url, request);
      responses.push(response);
      return response;
    },
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await mounted.close();
      http.closeAllConnections();
      await closed;
    },
  };
}
