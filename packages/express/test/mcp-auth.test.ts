import { request as httpRequest, type Server } from 'node:http';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AuthInfo,
  createMcpAuth,
  type McpAuthExpress,
  mcpAuth,
  mcpAuthMetadata,
  parseChallenge,
} from '../src/index.js';
import { closeServer, listenLocal } from '@org/mcp-auth-conformance/node';
import { POLICY, RESOURCE, vectorOptions } from '@org/mcp-auth-conformance';

const listTodos = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_todos' } };
const addTodo = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add_todo' } };

let issuer: TestIssuer;
let readToken: string;
const servers: Server[] = [];
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  readToken = await issuer.mintAccessToken();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

async function serve(app: express5.Express): Promise<Server> {
  const { server } = await listenLocal(app);
  servers.push(server);
  return server;
}

for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  describe(`${name}: request bodies`, () => {
    it('works after express.json() (the body was already parsed)', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer));
      app.post('/mcp', express.json(), auth.protect, (req, res) => {
        res.json({ method: req.body.method, sub: req.auth?.extra?.sub });
      });
      const server = await serve(app);
      const ok = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send(listTodos);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ method: 'tools/call', sub: 'user-123' });
      const denied = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send(addTodo);
      expect(denied.status).toBe(403);
    });

    it('works before express.json(): reads the body once and sets req.body', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer));
      app.post('/mcp', auth.protect, express.json(), (req, res) => {
        res.json({ body: req.body });
      });
      const server = await serve(app);
      const res = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send(listTodos);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ body: listTodos });
    });

    it('leaves a non-JSON body unread when neither the policy nor session binding needs it', async () => {
      const app = express();
      const auth = mcpAuth({
        ...vectorOptions(issuer),
        policy: { baseline: 'todo:read' },
        sessionBinding: false,
      });
      expect(auth.core.needsBody).toBe(false);
      app.post('/upload', auth.protect, express.text(), (req, res) => {
        res.json({ text: req.body, sub: req.auth?.extra?.sub });
      });
      const server = await serve(app);
      const res = await request(server)
        .post('/upload')
        .set('Authorization', `Bearer ${readToken}`)
        .set('Content-Type', 'text/plain')
        .send('hello, raw body');
      expect(res.body).toEqual({ text: 'hello, raw body', sub: 'user-123' });
    });

    it('answers an oversized JSON body with a JSON 413, not an error page', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer));
      let ran = false;
      app.post('/mcp', auth.protect, () => {
        ran = true;
      });
      const server = await serve(app);
      const res = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .set('Content-Type', 'application/json')
        .send(`{"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'Request body too large' },
      });
      expect(ran).toBe(false);
    });
  });

  describe(`${name}: the adapter writes every denial itself`, () => {
    it('honours maxBodyBytes: a larger JSON body gets the JSON-RPC 413', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer), { maxBodyBytes: 128 });
      let ran = false;
      app.post('/mcp', auth.protect, (_req, res) => {
        ran = true;
        res.end();
      });
      const server = await serve(app);
      const res = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send({ ...listTodos, pad: 'x'.repeat(256) });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ error: { code: -32600 } });
      const fits = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send(listTodos);
      expect(fits.status).toBe(200);
      expect(ran).toBe(true);
    });

    it('never calls next(err): an error middleware after it never runs on a denial or a body error', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer), { maxBodyBytes: 128 });
      const errors: unknown[] = [];
      app.post('/mcp', auth.protect, (_req, res) => {
        res.json({ ran: true });
      });
      app.use(((error, _req, res, _next) => {
        errors.push(error);
        res.status(418).json({ app: true });
      }) as express5.ErrorRequestHandler);
      const server = await serve(app);
      const post = () => request(server).post('/mcp').set('Content-Type', 'application/json');
      const bearer = `Bearer ${readToken}`;
      const answers = [
        await post().send(JSON.stringify(listTodos)), // no token: 401
        await post().set('Authorization', bearer).send(JSON.stringify(addTodo)), // 403
        await post().set('Authorization', bearer).send('{"jsonrpc": '), // -32700
        await post()
          .set({ Authorization: ['Bearer a', 'Bearer b'] })
          .send('{}'),
        await post()
          .set('Authorization', bearer)
          .send(JSON.stringify({ pad: 'x'.repeat(256) })), // 413
      ];
      expect(answers.map((r) => r.status)).toEqual([401, 403, 400, 400, 413]);
      for (const answer of answers) {
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
      }
      expect(errors).toEqual([]);
    });

    it('answers a request body the client never finishes without reaching the error middleware', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer));
      const errors: unknown[] = [];
      let ran = false;
      let closed!: () => void;
      const responseClosed = new Promise<void>((resolve) => {
        closed = resolve;
      });
      app.post(
        '/mcp',
        (_req, res, next) => {
          res.once('close', closed);
          next();
        },
        auth.protect,
        () => {
          ran = true;
        },
      );
      app.use(((error, _req, res, _next) => {
        errors.push(error);
        res.status(500).end();
      }) as express5.ErrorRequestHandler);
      const { server, url } = await listenLocal(app);
      servers.push(server);
      const req = httpRequest(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': '1000',
          authorization: `Bearer ${readToken}`,
        },
      });
      req.on('error', () => {});
      req.write('{"jsonrpc":', () => req.destroy());
      await responseClosed;
      // The body read fails when the client goes; protect settles it without next(err).
      await new Promise((resolve) => setImmediate(resolve));
      expect(ran).toBe(false);
      expect(errors).toEqual([]);
    });
  });

  describe(`${name}: session binding`, () => {
    it('binds the session id written by the handler (setHeader or writeHead) to its subject', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer));
      app.all('/mcp', auth.protect, (req, res) => {
        if (req.headers['mcp-session-id'] === undefined) {
          if (req.query.via === 'writeHead') res.writeHead(200, ['Mcp-Session-Id', 's-head']);
          else res.setHeader('Mcp-Session-Id', 's-set');
        }
        res.end(String(req.auth?.extra?.sub));
      });
      const server = await serve(app);
      const bob = await issuer.mintAccessToken({ claims: { sub: 'bob' } });
      for (const [via, id] of [
        ['setHeader', 's-set'],
        ['writeHead', 's-head'],
      ]) {
        const opened = await request(server)
          .post(`/mcp?via=${via}`)
          .set('Authorization', `Bearer ${readToken}`)
          .send(listTodos);
        expect(opened.headers['mcp-session-id']).toBe(id);
        const stolen = await request(server)
          .post('/mcp')
          .set('Authorization', `Bearer ${bob}`)
          .set('Mcp-Session-Id', id!)
          .send(listTodos);
        expect(stolen.status).toBe(404);
        expect(stolen.body).toEqual({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32001, message: 'Session not found' },
        });
        const owner = await request(server)
          .post('/mcp')
          .set('Authorization', `Bearer ${readToken}`)
          .set('Mcp-Session-Id', id!)
          .send(listTodos);
        expect(owner.status).toBe(200);
        expect(owner.text).toBe('user-123');
      }
    });
    it('leaves res.writeHead alone when session binding is off', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer, { sessionBinding: false }));
      app.all('/mcp', auth.protect, (_req, res) => {
        res.json({ ownWriteHead: Object.hasOwn(res, 'writeHead') });
      });
      const server = await serve(app);
      const res = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send(listTodos);
      expect(res.body).toEqual({ ownWriteHead: false });
      const bound = express();
      const withBinding = mcpAuth(vectorOptions(issuer));
      bound.all('/mcp', withBinding.protect, (_req, res) => {
        res.json({ ownWriteHead: Object.hasOwn(res, 'writeHead') });
      });
      const watched = await request(await serve(bound))
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send(listTodos);
      expect(watched.body).toEqual({ ownWriteHead: true });
    });
  });

  describe(`${name}: hot path`, () => {
    it('passes a cached token on synchronously: no promise, next() before protect returns', async () => {
      const app = express();
      const auth = mcpAuth(vectorOptions(issuer, { sessionBinding: false }));
      const seen: string[] = [];
      app.all(
        '/mcp',
        express.json(),
        (req, res, next) => {
          let reached = false;
          const out = auth.protect(req, res, (error?: unknown) => {
            reached = true;
            next(error);
          });
          seen.push(`${out instanceof Promise ? 'promise' : 'sync'} ${reached}`);
        },
        (req, res) => {
          res.json({ sub: req.auth?.extra?.sub });
        },
      );
      const server = await serve(app);
      for (let i = 0; i < 2; i++) {
        const res = await request(server)
          .post('/mcp')
          .set('Authorization', `Bearer ${readToken}`)
          .send(listTodos);
        expect(res.body).toEqual({ sub: 'user-123' });
      }
      const none = await request(server).post('/mcp').send(listTodos);
      expect(none.status).toBe(401);
      // First call verifies (a promise); the cached one and the missing token are synchronous.
      expect(seen).toEqual(['promise false', 'sync true', 'sync false']);
    });
  });

  describe(`${name}: several protected endpoints in one app`, () => {
    it('keeps resources, policies and metadata apart', async () => {
      const a = mcpAuth({
        ...vectorOptions(issuer),
        resource: 'https://mcp.example/a/mcp',
        policy: POLICY,
      });
      const b = mcpAuth({
        ...vectorOptions(issuer),
        resource: 'https://mcp.example/b/mcp',
        policy: { tools: { list_events: 'calendar:read' } },
      });
      const app = express();
      app.use(mcpAuthMetadata(a.core, b.core));
      app.post('/a/mcp', a.protect, (req, res) => res.json({ aud: req.auth?.resource?.href }));
      app.post('/b/mcp', b.protect, (req, res) => res.json({ aud: req.auth?.resource?.href }));
      const server = await serve(app);

      const forA = await issuer.mintAccessToken({ claims: { aud: 'https://mcp.example/a/mcp' } });
      const okA = await request(server)
        .post('/a/mcp')
        .set('Authorization', `Bearer ${forA}`)
        .send(listTodos);
      expect(okA.status).toBe(200);
      expect(okA.body).toEqual({ aud: 'https://mcp.example/a/mcp' });
      const refusedByB = await request(server)
        .post('/b/mcp')
        .set('Authorization', `Bearer ${forA}`)
        .send(listTodos);
      expect(refusedByB.status).toBe(401);
      expect(parseChallenge(refusedByB.headers['www-authenticate']!)?.params).toMatchObject({
        error: 'invalid_token',
        resource_metadata: 'https://mcp.example/.well-known/oauth-protected-resource/b/mcp',
      });

      const noTokenB = await request(server)
        .post('/b/mcp')
        .send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_events' } });
      expect(parseChallenge(noTokenB.headers['www-authenticate']!)?.params.scope).toBe(
        'calendar:read',
      );

      const prmA = await request(server).get('/.well-known/oauth-protected-resource/a/mcp');
      const prmB = await request(server).get('/.well-known/oauth-protected-resource/b/mcp');
      expect([prmA.body.resource, prmB.body.resource]).toEqual([
        'https://mcp.example/a/mcp',
        'https://mcp.example/b/mcp',
      ]);
      expect(prmB.body.scopes_supported).toEqual(['calendar:read']);
      const unknown = await request(server).get('/.well-known/oauth-protected-resource/c/mcp');
      expect(unknown.status).toBe(404);
    });
  });
}

describe('options and types', () => {
  it('throws a TypeError naming the option at construction', () => {
    expect(() =>
      mcpAuth({ resource: 'http://mcp.example/mcp', issuer: 'https://issuer.example' }),
    ).toThrow(/option "resource"/);
    expect(() =>
      mcpAuth({
        resource: RESOURCE,
        issuer: 'https://issuer.example',
        cors: { allowedOrigins: ['nope'] },
      }),
    ).toThrow(TypeError);
  });

  it('validates maxBodyBytes: a TypeError naming it', () => {
    for (const maxBodyBytes of [0, -1, 1.5, Number.NaN, '4mb']) {
      expect(() => mcpAuth(vectorOptions(issuer), { maxBodyBytes } as never)).toThrow(TypeError);
      expect(() => mcpAuth(vectorOptions(issuer), { maxBodyBytes } as never)).toThrow(
        /option "maxBodyBytes"/,
      );
    }
    expect(() => mcpAuth(vectorOptions(issuer), { maxBytes: 1 } as never)).toThrow(
      /option "maxBytes"/,
    );
  });

  it('shares an already-built core (one core, its decisions) and names its middlewares', async () => {
    const events: string[] = [];
    const core = createMcpAuth({
      ...vectorOptions(issuer),
      onDecision: (event) => events.push(`${event.outcome} ${event.status}`),
    });
    const shared = mcpAuth(core, { maxBodyBytes: 1024 });
    expect(shared.core).toBe(core);
    expect(mcpAuth(core).core).toBe(core);
    expect(shared.protect.name).toBe('mcpAuthProtect');
    expect(shared.metadata.name).toBe('mcpAuthMetadata');
    const app = express5();
    app.post('/mcp', shared.protect, (req, res) => {
      res.json({ sub: req.auth?.extra?.sub });
    });
    const server = await serve(app);
    expect((await request(server).post('/mcp').send(listTodos)).status).toBe(401);
    const ok = await request(server)
      .post('/mcp')
      .set('Authorization', `Bearer ${readToken}`)
      .send(listTodos);
    expect(ok.body).toEqual({ sub: 'user-123' });
    expect(events).toEqual(['deny 401', 'allow 200']);
  });

  it('types req.auth as AuthInfo', () => {
    const app = express5();
    app.get('/', (req) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthInfo | undefined>();
    });
    expectTypeOf<McpAuthExpress['protect']>().toEqualTypeOf<express5.RequestHandler>();
  });
});

for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  describe(`${name}: publicMethods`, () => {
    it('leaves req.auth undefined for a public method called without a token', async () => {
      const app = express();
      const auth = mcpAuth({
        ...vectorOptions(issuer),
        policy: { ...POLICY, publicMethods: ['ping'] },
      });
      app.post('/mcp', express.json(), auth.protect, (req, res) => {
        res.json({
          hasAuth: 'auth' in req && req.auth !== undefined,
          sub: req.auth?.extra?.sub ?? null,
        });
      });
      const server = await serve(app);
      const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
      const anonymous = await request(server)
        .post('/mcp')
        .set('Origin', 'http://localhost:5173')
        .send(ping);
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ hasAuth: false, sub: null });
      expect(anonymous.headers.vary).toBe('Origin');
      expect(anonymous.headers['access-control-expose-headers']).toBe(
        'WWW-Authenticate, Mcp-Session-Id',
      );
      const signedIn = await request(server)
        .post('/mcp')
        .set('Authorization', `Bearer ${readToken}`)
        .send(ping);
      expect(signedIn.body).toEqual({ hasAuth: true, sub: 'user-123' });
      expect((await request(server).post('/mcp').send(listTodos)).status).toBe(401);
    });
  });
}
