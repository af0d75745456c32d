import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';
import { HTTPException } from 'hono/http-exception';
import { McpAuthConfigError, type McpAuthHonoOptions, mcpAuth } from '../src/index.js';

const TOO_LARGE = {
  jsonrpc: '2.0',
  id: null,
  error: { code: -32600, message: 'Request body too large' },
};
const listTodos = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'list_todos', arguments: { pad: 'x'.repeat(200) } },
});

let issuer: TestIssuer;
let token: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  token = await issuer.mintAccessToken();
});

/** An app limited to `maxBodyBytes`, whose handler echoes the JSON body it reads itself. */
function limitedApp(maxBodyBytes?: number) {
  const auth = mcpAuth(vectorOptions(issuer), maxBodyBytes === undefined ? {} : { maxBodyBytes });
  let calls = 0;
  const app = new Hono();
  app.post('/mcp', auth.protect, async (c) => {
    calls += 1;
    return c.json({ method: (await c.req.json()).method, parsed: c.var.parsedBody !== undefined });
  });
  return { app, calls: () => calls };
}

/** A body without Content-Length: `chunks` chunks of `size` bytes, counting how many were pulled. */
function chunkedBody(chunks: number, size: number) {
  let pulled = 0;
  const chunk = new Uint8Array(size).fill(0x20); // spaces: valid JSON whitespace
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      if (pulled > chunks) controller.close();
      else controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

const headers = (extra: Record<string, string> = {}) => ({
  Authorization: `Bearer ${token}`,
  'Content-Type': 'application/json',
  ...extra,
});

describe('Hono adapter: request body size limit', () => {
  it('answers a declared Content-Length over the limit with a JSON-RPC 413, without reading it', async () => {
    const { app, calls } = limitedApp(1024);
    const body = chunkedBody(1000, 1024);
    const res = await app.request('/mcp', {
      method: 'POST',
      headers: headers({ 'Content-Length': String(1024 * 1000) }),
      body: body.stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(TOO_LARGE);
    expect(calls()).toBe(0);
    expect(body.pulled()).toBeLessThanOrEqual(1); // at most the stream's own first pull
  });

  it('counts a body without Content-Length while it streams and stops at the limit', async () => {
    const { app, calls } = limitedApp(4096);
    const body = chunkedBody(100_000, 1024); // ~100 MB if read to the end
    const res = await app.request('/mcp', {
      method: 'POST',
      headers: headers(),
      body: body.stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(TOO_LARGE);
    expect(calls()).toBe(0);
    expect(body.pulled()).toBeLessThan(10);
  });

  it('lets a streamed body up to the limit through, still readable by the handler', async () => {
    const { app, calls } = limitedApp(listTodos.length);
    const bytes = new TextEncoder().encode(listTodos);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 100));
        controller.enqueue(bytes.slice(100));
        controller.close();
      },
    });
    const res = await app.request('/mcp', {
      method: 'POST',
      headers: headers(),
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'tools/call', parsed: true });
    expect(calls()).toBe(1);
    const over = await limitedApp(listTodos.length - 1).app.request('/mcp', {
      method: 'POST',
      headers: headers(),
      body: listTodos,
    });
    expect(over.status).toBe(413);
  });

  it('defaults to 4 MiB', async () => {
    const { app } = limitedApp();
    const ok = await app.request('/mcp', {
      method: 'POST',
      headers: headers({ 'Content-Length': String(4 * 1024 * 1024) }),
      body: listTodos.padEnd(4 * 1024 * 1024, ' '),
    });
    expect(ok.status).toBe(200);
    const tooLarge = await app.request('/mcp', {
      method: 'POST',
      headers: headers({ 'Content-Length': String(4 * 1024 * 1024 + 1) }),
      body: listTodos.padEnd(4 * 1024 * 1024 + 1, ' '),
    });
    expect(tooLarge.status).toBe(413);
  });

  it('does not read or limit a body neither the policy nor session binding needs', async () => {
    const auth = mcpAuth(
      { ...vectorOptions(issuer), policy: { baseline: 'todo:read' }, sessionBinding: false },
      { maxBodyBytes: 10 },
    );
    const app = new Hono();
    app.post('/mcp', auth.protect, async (c) => c.json({ length: (await c.req.text()).length }));
    const res = await app.request('/mcp', { method: 'POST', headers: headers(), body: listTodos });
    expect(await res.json()).toEqual({ length: listTodos.length });
  });

  it('validates maxBodyBytes at construction: a TypeError naming it', () => {
    for (const maxBodyBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      const build = () => mcpAuth(vectorOptions(issuer), { maxBodyBytes });
      expect(build).toThrow(TypeError);
      expect(build).toThrow(McpAuthConfigError);
      expect(build).toThrow(/maxBodyBytes/);
    }
    const misspelt = { maxBodySize: 1024 } as McpAuthHonoOptions;
    expect(() => mcpAuth(vectorOptions(issuer), misspelt)).toThrow(/maxBodySize/);
    expect(() => mcpAuth(vectorOptions(issuer), { maxBodyBytes: 1 })).not.toThrow();
  });

  it('answers a body over maxBodyBytes with a JSON-RPC 413 through an HTTPException', async () => {
    const { app, calls } = limitedApp(64);
    let seen: unknown;
    app.onError((error, c) => {
      seen = error;
      return error instanceof HTTPException ? error.getResponse() : c.text('unexpected', 500);
    });
    const res = await app.request('/mcp', { method: 'POST', headers: headers(), body: listTodos });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(TOO_LARGE);
    expect(seen).toBeInstanceOf(HTTPException);
    expect((seen as HTTPException).status).toBe(413);
    expect(calls()).toBe(0);
  });

  describe('over HTTP (@hono/node-server)', () => {
    let origin: string;
    let close: () => Promise<void>;
    beforeAll(async () => {
      const { app } = limitedApp(64 * 1024);
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise<void>((resolve) => server.once('listening', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => new Promise((resolve) => server.close(() => resolve()));
    });
    afterAll(() => close());

    it('answers 413 to an oversized body with Content-Length', async () => {
      const res = await fetch(`${origin}/mcp`, {
        method: 'POST',
        headers: headers(),
        body: listTodos.padEnd(1024 * 1024, ' '),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual(TOO_LARGE);
    });

    it('answers 413 to an oversized chunked body', async () => {
      const res = await fetch(`${origin}/mcp`, {
        method: 'POST',
        headers: headers(),
        body: chunkedBody(1024, 1024).stream,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual(TOO_LARGE);
    });

    it('passes a chunked body under the limit', async () => {
      const bytes = new TextEncoder().encode(listTodos);
      const res = await fetch(`${origin}/mcp`, {
        method: 'POST',
        headers: headers(),
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ method: 'tools/call', parsed: true });
    });
  });
});
