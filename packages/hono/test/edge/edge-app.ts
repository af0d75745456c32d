/**
 * Entry bundled (with hono, the core, jose and zod) into one script and evaluated inside
 * `@edge-runtime/vm`: no Node built-ins, no `process`, no `require`. It exposes `edgeApp`, which
 * builds the vectors' app in that runtime and answers requests given as plain data.
 */
import { Hono } from 'hono';
import { type McpAuthEnv, type McpAuthOptions, mcpAuth } from '../../src/index.js';

/** A request or response as plain data, so it crosses the VM boundary intact. */
export interface PlainExchange {
  status?: number;
  method?: string;
  path?: string;
  headers: Array<[string, string]>;
  body?: string;
}

/** Builds the app from JSON options; `documents` maps issuer URLs (JWKS, metadata) to JSON. */
function edgeApp(optionsJson: string, documents: Record<string, unknown>) {
  const serveIssuer = async (input: RequestInfo | URL): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const document = documents[url];
    if (document === undefined) return new Response('not found', { status: 404 });
    return new Response(JSON.stringify(document), {
      headers: { 'content-type': 'application/json' },
    });
  };
  const options = JSON.parse(optionsJson) as McpAuthOptions;
  const auth = mcpAuth({ ...options, jwt: { ...options.jwt, fetch: serveIssuer } });
  const app = new Hono<McpAuthEnv>();
  let calls = 0;
  app.use(auth.metadata);
  app.all('/mcp', auth.protect, async (c) => {
    calls += 1;
    const body = c.req.method === 'POST' ? await c.req.json<{ method?: string }>() : undefined;
    return c.json({
      handled: true,
      sub: c.var.auth?.extra?.sub,
      scopes: c.var.auth?.scopes,
      rpcMethod: body?.method ?? null,
    });
  });
  return {
    runtime: typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime,
    handlerCalls: () => calls,
    async send(request: PlainExchange): Promise<PlainExchange> {
      const headers = new Headers();
      for (const [name, value] of request.headers) headers.append(name, value);
      const res = await app.request(request.path ?? '/', {
        method: request.method ?? 'GET',
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      return { status: res.status, headers: [...res.headers.entries()], body: await res.text() };
    },
  };
}

(globalThis as { edgeApp?: typeof edgeApp }).edgeApp = edgeApp;
export type EdgeApp = ReturnType<typeof edgeApp>;
