import type { ServerResponse } from 'node:http';
import type { PlainResponse } from '@org/mcp-auth-core/adapter';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import { describe, expect, it } from 'vitest';
import { holdResponseHead } from '../src/hold-response-head.js';
import type { NodeResponseHead } from '../src/on-response-head.js';

type Answer = PlainResponse | undefined | Promise<PlainResponse | undefined>;

/** Serves one request with `app` after holding its head with `settle`; returns what was seen. */
async function serveOnce(
  settle: (head: NodeResponseHead) => Answer,
  app: (res: ServerResponse) => void,
): Promise<{ status: number; headers: Headers; body: string; heads: NodeResponseHead[] }> {
  const heads: NodeResponseHead[] = [];
  const { server, url } = await listenLocal((_req, res) => {
    holdResponseHead(res, (head) => {
      heads.push(head);
      return settle(head);
    });
    app(res);
  });
  try {
    const response = await fetch(url);
    return {
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      heads,
    };
  } finally {
    await closeServer(server);
  }
}

const later = <T>(value: T, ms = 30) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const STORE_DOWN: PlainResponse = {
  status: 503,
  headers: { 'Retry-After': '5', 'Cache-Control': 'no-store' },
  body: {
    error: 'store_unavailable',
    error_description: 'Session state store unavailable; retry later',
  },
};

describe('holdResponseHead', () => {
  it('an implicit head (setHeader + end, as res.send does) waits and then goes out whole', async () => {
    let settledAt = 0;
    const seen = await serveOnce(
      async () => {
        const answer = await later(undefined);
        settledAt = Date.now();
        return answer;
      },
      (res) => {
        res.statusCode = 201;
        res.setHeader('Mcp-Session-Id', 'abc');
        res.end('created');
      },
    );
    expect(seen.heads).toEqual([{ status: 201, sessionId: 'abc' }]);
    expect(seen.status).toBe(201);
    expect(seen.headers.get('mcp-session-id')).toBe('abc');
    expect(seen.body).toBe('created');
    expect(settledAt).toBeGreaterThan(0);
  });

  it('writeHead, flushHeaders, writes and end are replayed in order (an SSE stream)', async () => {
    const seen = await serveOnce(
      () => later(undefined),
      (res) => {
        res
          .writeHead(200, { 'Content-Type': 'text/event-stream', 'mcp-session-id': 's-1' })
          .flushHeaders();
        expect(res.write('event: message\n')).toBe(true);
        res.write('data: 1\n\n', () => undefined);
        setTimeout(() => res.end('data: 2\n\n'), 5);
      },
    );
    expect(seen.heads).toEqual([{ status: 200, sessionId: 's-1' }]);
    expect(seen.headers.get('content-type')).toBe('text/event-stream');
    expect(seen.body).toBe('event: message\ndata: 1\n\ndata: 2\n\n');
  });

  it('a 503 answer replaces the response; the application headers and later writes are dropped', async () => {
    let callbacks = 0;
    const seen = await serveOnce(
      () => later(STORE_DOWN),
      (res) => {
        res.setHeader('Set-Cookie', 'x=1');
        res.writeHead(200, { 'mcp-session-id': 's-2', 'Content-Type': 'text/event-stream' });
        res.write('event: secret\n', () => callbacks++);
        setTimeout(() => {
          res.write('late', () => callbacks++);
          res.end();
        }, 60);
      },
    );
    expect(seen.status).toBe(503);
    expect(seen.headers.get('retry-after')).toBe('5');
    expect(seen.headers.get('mcp-session-id')).toBeNull();
    expect(seen.headers.get('set-cookie')).toBeNull();
    expect(JSON.parse(seen.body)).toEqual(STORE_DOWN.body);
    await later(undefined, 80);
    expect(callbacks).toBe(2);
  });

  it('a synchronous answer costs no holding: the response goes on at once', async () => {
    const seen = await serveOnce(
      () => undefined,
      (res) => {
        res.writeHead(200, { 'mcp-session-id': 's-3' });
        expect(res.headersSent).toBe(true);
        res.end('ok');
      },
    );
    expect(seen.body).toBe('ok');
    expect(seen.heads).toEqual([{ status: 200, sessionId: 's-3' }]);
  });

  it('reports status 0 when the response closes before any head', async () => {
    const heads: NodeResponseHead[] = [];
    const { server, url } = await listenLocal((_req, res) => {
      holdResponseHead(res, (head) => void heads.push(head));
      res.destroy();
    });
    await fetch(url).catch(() => undefined);
    await closeServer(server);
    await later(undefined, 20);
    expect(heads).toEqual([{ status: 0, sessionId: undefined }]);
  });

  it('a settle that fails unexpectedly never lets the session id out: 503 instead', async () => {
    for (const settle of [
      () => Promise.reject(new Error('boom')),
      () => {
        throw new Error('boom');
      },
    ]) {
      const seen = await serveOnce(settle, (res) => {
        res.setHeader('Mcp-Session-Id', 'abc');
        res.end('created');
      });
      expect(seen.status).toBe(503);
      expect(seen.headers.get('mcp-session-id')).toBeNull();
      expect(JSON.parse(seen.body)).toMatchObject({ error: 'store_unavailable' });
    }
  });

  it('the session id given to writeHead is the one settled, as Node sends it', async () => {
    const seen = await serveOnce(
      () => undefined,
      (res) => {
        res.setHeader('Mcp-Session-Id', 'set-before');
        res.writeHead(200, { 'Mcp-Session-Id': 'given-to-writeHead' });
        res.end('ok');
      },
    );
    expect(seen.heads[0]?.sessionId).toBe('given-to-writeHead');
    expect(seen.headers.get('mcp-session-id')).toBe('given-to-writeHead');
  });
});
