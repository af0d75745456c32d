import Fastify, { type FastifyInstance } from 'fastify';
import {
  describeVectors,
  type HarnessFactory,
  type HttpRequest,
  type HttpResponse,
} from '@org/mcp-auth-conformance';
import mcpAuth from '../src/index.js';

/** Sends through `fastify.inject()`; repeated header pairs become an array (one line each). */
export async function sendInject(app: FastifyInstance, req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of req.headers) {
    const key = name.toLowerCase();
    const previous = headers[key];
    headers[key] = previous === undefined ? value : [...[previous].flat(), value];
  }
  const res = await app.inject({
    method: req.method as 'GET',
    url: req.path,
    headers,
    ...(req.body === undefined ? {} : { payload: req.body }),
  });
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return { status: res.statusCode, headers: flat, text: res.body };
}

const harness: HarnessFactory = async (options) => {
  let calls = 0;
  const app = Fastify();
  await app.register(mcpAuth, options);
  app.all('/mcp', async (request) => {
    calls += 1;
    const body = request.body as { method?: string } | undefined;
    return {
      handled: true,
      sub: request.auth?.extra?.sub,
      scopes: request.auth?.scopes,
      rpcMethod: body?.method ?? null,
    };
  });
  await app.ready();
  return {
    send: (req) => sendInject(app, req),
    handlerCalls: () => calls,
    close: () => app.close(),
  };
};

describeVectors('Fastify 5', harness, 'node');
