import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/** How a fixture MCP server misbehaves; every field defaults to the healthy behaviour. */
export interface FixtureOptions {
  /** The authorization server's issuer, as the metadata lists it. */
  issuer: string;
  /** The issuer string tokens are checked against. Default `issuer`. */
  tokenIssuer?: string;
  /** Serve the metadata at the path-inserted location. Default true. */
  pathInserted?: boolean;
  /** Serve the metadata at the root. Default true. */
  root?: boolean;
  /** The `resource` the metadata names, given the MCP URL. Default the URL. */
  resource?: (mcpUrl: string) => string;
  /** The 401's WWW-Authenticate, given the MCP URL and the path-inserted metadata URL. */
  challenge?: (urls: { mcpUrl: string; prmUrl: string; rootPrmUrl: string }) => string | null;
  /** Expose WWW-Authenticate to browsers. Default true. */
  exposeWwwAuthenticate?: boolean;
  /** Fields merged over the metadata document. */
  prm?: Record<string, unknown>;
}

export interface Fixture {
  url: string;
  origin: string;
  close(): Promise<void>;
}

const SCOPES = ['todo:read', 'todo:write'];
const TOOLS: Record<string, string> = { list_todos: 'todo:read', add_todo: 'todo:write' };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/**
 * A small MCP resource server on node:http (port 0) that verifies tokens with jose against
 * the issuer's JWKS, answers initialize, tools/list and tools/call, and can be told to break
 * in one way at a time.
 */
export async function startFixture(options: FixtureOptions): Promise<Fixture> {
  let base = '';
  const jwks = createRemoteJWKSet(new URL(`${options.issuer.replace(/\/$/, '')}/jwks`));
  const cors = (req: IncomingMessage, res: ServerResponse) => {
    if (!req.headers.origin) return;
    res.setHeader('access-control-allow-origin', req.headers.origin);
    res.setHeader('vary', 'Origin');
    res.setHeader(
      'access-control-expose-headers',
      options.exposeWwwAuthenticate === false
        ? 'Mcp-Session-Id'
        : 'WWW-Authenticate, Mcp-Session-Id',
    );
  };
  const json = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const urls = () => ({
    mcpUrl: `${base}/mcp`,
    prmUrl: `${base}/.well-known/oauth-protected-resource/mcp`,
    rootPrmUrl: `${base}/.well-known/oauth-protected-resource`,
  });
  const challenge = (scope: string) =>
    `Bearer resource_metadata="${urls().prmUrl}", scope="${scope}"`;

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fixture').pathname;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': req.headers.origin ?? '*',
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers':
          'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    const prmPath =
      (path === '/.well-known/oauth-protected-resource/mcp' && options.pathInserted !== false) ||
      (path === '/.well-known/oauth-protected-resource' && options.root !== false);
    if (req.method === 'GET' && prmPath) {
      const { mcpUrl } = urls();
      json(
        res,
        200,
        {
          resource: options.resource ? options.resource(mcpUrl) : mcpUrl,
          authorization_servers: [options.issuer],
          scopes_supported: SCOPES,
          bearer_methods_supported: ['header'],
          ...options.prm,
        },
        { 'access-control-allow-origin': '*' },
      );
      return;
    }
    if (path !== '/mcp') {
      json(res, 404, { error: 'not_found' });
      return;
    }
    cors(req, res);
    const authorization = req.headers.authorization;
    if (!authorization) {
      const header = options.challenge ? options.challenge(urls()) : challenge('todo:read');
      json(
        res,
        401,
        { error: 'invalid_token', error_description: 'No token' },
        header === null ? {} : { 'www-authenticate': header },
      );
      return;
    }
    const token = /^Bearer (.+)$/i.exec(authorization)?.[1] ?? '';
    let scopes: string[];
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: options.tokenIssuer ?? options.issuer,
        audience: urls().mcpUrl,
        typ: 'at+jwt',
      });
      scopes = String(payload.scope ?? '')
        .split(' ')
        .filter(Boolean);
    } catch {
      json(
        res,
        401,
        { error: 'invalid_token' },
        {
          'www-authenticate': `Bearer error="invalid_token", resource_metadata="${urls().prmUrl}"`,
        },
      );
      return;
    }
    if (req.method === 'DELETE') {
      res.writeHead(200).end();
      return;
    }
    const message = JSON.parse((await readBody(req)) || '{}') as {
      id?: number;
      method?: string;
      params?: { name?: string; protocolVersion?: string };
    };
    if (message.method === 'initialize') {
      json(
        res,
        200,
        {
          jsonrpc: '2.0',
          id: message.id,
          result: {
            protocolVersion: message.params?.protocolVersion,
            capabilities: { tools: {} },
            serverInfo: { name: 'fixture', version: '0.0.0' },
          },
        },
        { 'mcp-session-id': 'fixture-session' },
      );
    } else if (message.id === undefined) {
      res.writeHead(202).end();
    } else if (message.method === 'tools/list') {
      json(res, 200, {
        jsonrpc: '2.0',
        id: message.id,
        result: {
          tools: Object.keys(TOOLS).map((name) => ({ name, inputSchema: { type: 'object' } })),
        },
      });
    } else if (message.method === 'tools/call') {
      const needed = TOOLS[message.params?.name ?? ''];
      if (needed && !scopes.includes(needed)) {
        json(
          res,
          403,
          { error: 'insufficient_scope' },
          {
            'www-authenticate': `Bearer error="insufficient_scope", scope="${[...new Set([...scopes, needed])].join(' ')}", resource_metadata="${urls().prmUrl}"`,
          },
        );
        return;
      }
      json(res, 200, { jsonrpc: '2.0', id: message.id, result: { content: [] } });
    } else {
      json(res, 200, { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'no' } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/mcp`,
    origin: base,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
