import { Hono } from 'hono';
import type { HarnessFactory, HttpRequest, HttpResponse } from '@org/mcp-auth-conformance';
import { type McpAuthEnv, mcpAuth } from '../src/index.js';

/** Sends through `app.request()`: a Web `Headers` joins repeated headers with ", ". */
export async function sendRequest(app: Hono<McpAuthEnv>, req: HttpRequest): Promise<HttpResponse> {
  const headers = new Headers();
  for (const [name, value] of req.headers) headers.append(name, value);
  const res = await app.request(req.path, {
    method: req.method,
    headers,
    ...(req.body === undefined ? {} : { body: req.body }),
  });
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    text: await res.text(),
  };
}

/** The vectors' app: PRM routes, and `/mcp` protected in front of a recording handler. */
export const honoHarness: HarnessFactory = async (options) => {
  let calls = 0;
  const app = new Hono<McpAuthEnv>();
  const auth = mcpAuth(options);
  app.use(auth.metadata);
  app.all('/mcp', auth.protect, async (c) => {
    calls += 1;
    // Hono's body cache answers from the read the adapter made for its decision.
    const body = c.req.method === 'POST' ? await c.req.json<{ method?: string }>() : undefined;
    return c.json({
      handled: true,
      sub: c.var.auth?.extra?.sub,
      scopes: c.var.auth?.scopes,
      rpcMethod: body?.method ?? null,
    });
  });
  return { send: (req) => sendRequest(app, req), handlerCalls: () => calls, close: async () => {} };
};
