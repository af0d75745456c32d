import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import type { AllowResult } from '@org/mcp-auth-core';
import { describe, expect, it } from 'vitest';
import { applyAllow } from '../src/apply-allow.js';
import { type NodeResponseHead, onResponseHead } from '../src/on-response-head.js';
import { hasUnreadJsonBody, readJsonBody } from '../src/read-json-body.js';
import { readRawBody } from '../src/read-raw-body.js';
import { requestHeaders } from '../src/request-headers.js';
import { toAuthorizeRequest } from '../src/to-authorize-request.js';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';

function fakeRequest(rawHeaders: string[], body = ''): IncomingMessage {
  const req = Readable.from(body === '' ? [] : [Buffer.from(body)]) as unknown as IncomingMessage;
  req.rawHeaders = rawHeaders;
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  }
  req.headers = headers;
  req.method = 'POST';
  req.url = '/mcp?x=1';
  return req;
}

describe('requestHeaders / toAuthorizeRequest', () => {
  it('keeps Node’s record unless Authorization is repeated', () => {
    const one = fakeRequest(['Authorization', 'Bearer a', 'Host', 'x']);
    expect(requestHeaders(one)).toBe(one.headers);
    const two = fakeRequest(['Authorization', 'Bearer a', 'authorization', 'Bearer b']);
    expect(requestHeaders(two)).toEqual([
      ['Authorization', 'Bearer a'],
      ['authorization', 'Bearer b'],
    ]);
  });

  it('uses originalUrl when a framework set one', () => {
    const req = fakeRequest(['Host', 'x']);
    expect(toAuthorizeRequest(req, { a: 1 })).toEqual({
      method: 'POST',
      url: '/mcp?x=1',
      headers: req.headers,
      body: { a: 1 },
    });
    (req as { originalUrl?: string }).originalUrl = '/api/mcp?x=1';
    expect(toAuthorizeRequest(req).url).toBe('/api/mcp?x=1');
  });
});

describe('body reading', () => {
  it('reads a stream up to maxBytes, undefined beyond (draining the rest)', async () => {
    expect((await readRawBody(Readable.from([Buffer.from('ab'), 'cd']), 4))?.toString()).toBe(
      'abcd',
    );
    const stream = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    expect(await readRawBody(stream, 5)).toBeUndefined();
    expect(stream.readableEnded).toBe(true);
    const iterable = (async function* () {
      yield 'xy';
    })();
    expect((await readRawBody(iterable, 2))?.toString()).toBe('xy');
  });

  it('rejects a stream that closes before its end', async () => {
    const stream = new PassThrough();
    const read = readRawBody(stream, 1024);
    stream.write('{"a"');
    stream.destroy();
    await expect(read).rejects.toThrow('closed before its end');
  });

  it('readJsonBody: parsed body, 413 too large, 400 unreadable; marks the request read', async () => {
    const req = fakeRequest(['Content-Type', 'application/json'], '{"id":1}');
    expect(hasUnreadJsonBody(req)).toBe(true);
    expect(await readJsonBody(req)).toEqual({ ok: true, body: { id: 1 } });
    expect(hasUnreadJsonBody(req)).toBe(false);
    const broken = fakeRequest(['Content-Type', 'application/json'], '{"id":');
    expect(await readJsonBody(broken)).toEqual({ ok: true, body: '{"id":' }); // the core answers -32700
    const big = fakeRequest(['Content-Type', 'application/json'], '{"id":12345}');
    const tooLarge = await readJsonBody(big, { maxBodyBytes: 4 });
    expect(tooLarge).toMatchObject({ ok: false, reason: 'too_large', response: { status: 413 } });
    const reset = new PassThrough() as unknown as IncomingMessage;
    const pending = readJsonBody(reset);
    (reset as unknown as PassThrough).destroy(new Error('reset'));
    expect(await pending).toEqual({
      ok: false,
      reason: 'unreadable',
      response: {
        status: 400,
        headers: { 'Content-Type': 'application/json' },
        body: {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32700, message: 'Request body unreadable' },
        },
      },
    });
    expect(hasUnreadJsonBody(fakeRequest(['Content-Type', 'text/plain'], 'x'))).toBe(false);
  });

  it('readJsonBody: throws an McpAuthConfigError naming a bad maxBodyBytes', () => {
    const req = fakeRequest(['Content-Type', 'application/json'], '{}');
    for (const maxBodyBytes of [0, -1, 2.5]) {
      expect(() => readJsonBody(req, { maxBodyBytes })).toThrow(TypeError);
      expect(() => readJsonBody(req, { maxBodyBytes })).toThrow(
        'mcp-auth: option "maxBodyBytes" must be a positive integer of bytes',
      );
    }
  });
});

describe('onResponseHead', () => {
  it('reports status and session id from setHeader or writeHead, once, before the client sees it', async () => {
    const seen: NodeResponseHead[] = [];
    const { server, url } = await listenLocal((req, res: ServerResponse) => {
      onResponseHead(res, (head) => seen.push(head));
      if (req.url === '/set') res.setHeader('Mcp-Session-Id', 'from-set');
      if (req.url === '/head') res.writeHead(201, { 'mcp-session-id': 'from-head' });
      if (req.url === '/array') res.writeHead(200, 'OK', ['Mcp-Session-Id', 'from-array']);
      if (req.url === '/none') res.statusCode = 400;
      if (req.url === '/twice') {
        res.writeHead(200, { 'mcp-session-id': 'first' });
        res.end();
        return;
      }
      res.end();
    });
    try {
      for (const path of ['/set', '/head', '/array', '/none', '/twice']) await fetch(url + path);
      expect(seen).toEqual([
        { status: 200, sessionId: 'from-set' },
        { status: 201, sessionId: 'from-head' },
        { status: 200, sessionId: 'from-array' },
        { status: 400, sessionId: undefined },
        { status: 200, sessionId: 'first' },
      ]);
    } finally {
      await closeServer(server);
    }
  });

  it('reports status 0 when the connection closes before any head', async () => {
    const seen: NodeResponseHead[] = [];
    let closed!: () => void;
    const done = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const { server, url } = await listenLocal((_req, res: ServerResponse) => {
      onResponseHead(res, (head) => {
        seen.push(head);
        closed();
      });
      res.destroy();
    });
    try {
      await fetch(url).catch(() => undefined);
      await done;
      expect(seen).toEqual([{ status: 0, sessionId: undefined }]);
    } finally {
      await closeServer(server);
    }
  });

  it.each([
    ['reports status 0 at once', true, [{ status: 0, sessionId: undefined }]],
    ['with reportClose: false says nothing', false, []],
  ])('%s when the client hung up before the decision', async (_name, reportClose, expected) => {
    const seen: NodeResponseHead[] = [];
    let reported!: () => void;
    const done = new Promise<void>((resolve) => {
      reported = resolve;
    });
    const { server, url } = await listenLocal((req, res: ServerResponse) => {
      req.once('close', () => {
        // As when the token was verified after the client had gone: 'close' has fired already.
        setImmediate(() => {
          onResponseHead(res, (head) => seen.push(head), { reportClose });
          res.statusCode = 400;
          res.end('{}'); // writes no head on a destroyed response
          reported();
        });
      });
    });
    try {
      const controller = new AbortController();
      const pending = fetch(url, { method: 'POST', body: '{}', signal: controller.signal }).catch(
        () => undefined,
      );
      setTimeout(() => controller.abort(), 50);
      await pending;
      await done;
      expect(seen).toEqual(expected);
    } finally {
      await closeServer(server);
    }
  });
});

describe('applyAllow', () => {
  const allow = (session: boolean): AllowResult => ({
    type: 'allow',
    headers: { 'Access-Control-Allow-Origin': '*', Vary: 'Origin' },
    authInfo: { token: 't', clientId: 'c', scopes: [], extra: { sub: 'alice' } },
    ...(session
      ? {
          session: {
            action: 'open' as const,
            reservation: undefined,
            settled: false,
          },
        }
      : {}),
  });

  it('sets the headers and reports the head only when the core left session work', async () => {
    const reported: string[] = [];
    const core = {
      onResponse: (_result: AllowResult, head: { status: number; sessionId?: string }) =>
        reported.push(`${head.status}:${head.sessionId}`),
    };
    const { server, url } = await listenLocal((req, res: ServerResponse) => {
      applyAllow(core, res, allow(req.url === '/session'));
      res.setHeader('Mcp-Session-Id', `s${req.url}`);
      res.end();
    });
    try {
      const response = await fetch(`${url}/session`);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('vary')).toBe('Origin');
      await fetch(`${url}/none`);
      expect(reported).toEqual(['200:s/session']);
    } finally {
      await closeServer(server);
    }
  });
});
