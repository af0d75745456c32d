import type { Server } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { mcpAuth } from '../src/index.js';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import {
  describeVectors,
  type HarnessFactory,
  type HttpRequest,
  type HttpResponse,
} from '@org/mcp-auth-conformance';

/** Sends through supertest; repeated header pairs become repeated header lines. */
export async function sendSupertest(server: Server, req: HttpRequest): Promise<HttpResponse> {
  const method = req.method.toLowerCase() as 'get';
  let test = request(server)[method](req.path);
  const grouped = new Map<string, string[]>();
  for (const [name, value] of req.headers) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  for (const [name, values] of grouped) {
    test = test.set({ [name]: values.length === 1 ? values[0] : values }); // an array: one line each
  }
  if (req.body !== undefined) test = test.send(req.body);
  const res = await test;
  return { status: res.status, headers: res.headers, text: res.text ?? '' };
}

function harness(express: typeof express5): HarnessFactory {
  return async (options) => {
    let calls = 0;
    const app = express();
    const auth = mcpAuth(options);
    app.use(auth.metadata);
    app.all('/mcp', auth.protect, (req, res) => {
      calls += 1;
      res.json({
        handled: true,
        sub: req.auth?.extra?.sub,
        scopes: req.auth?.scopes,
        rpcMethod: req.body?.method ?? null,
      });
    });
    const { server } = await listenLocal(app);
    return {
      send: (req) => sendSupertest(server, req),
      handlerCalls: () => calls,
      close: () => closeServer(server),
    };
  };
}

describeVectors('Express 5', harness(express5), 'node');
describeVectors('Express 4', harness(express4), 'node');
