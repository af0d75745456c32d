import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthMetadataRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import {
  type DevAuthorizationServer,
  startDevAuthorizationServer,
} from '@org/mcp-auth-dev-authorization-server';
import type { Check, CheckResourceServerResult } from '@org/mcp-auth-doctor';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES } from './helpers.js';

// A peer: an MCP server protected the way the MCP SDK 1.x documents it — createMcpExpressApp,
// mcpAuthMetadataRouter for the metadata, requireBearerAuth on POST /mcp with a token
// verifier (here a JWT one on the local authorization server's keys) — checked by the built
// mcp-auth-doctor. The findings asserted here are written up in packages/doctor/README.md.

const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@org/mcp-auth-doctor/package.json')),
  'dist/cli.js',
);

function runDoctorCli(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? Number(error.code) : 0, stdout });
    });
  });
}

let as: DevAuthorizationServer;
let server: Server;
let mcpUrl: string;

async function startPeer(issuer: string): Promise<void> {
  const app = createMcpExpressApp();
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const mcpServerUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  mcpUrl = mcpServerUrl.href;
  const oauthMetadata = (await (
    await fetch(`${issuer}/.well-known/oauth-authorization-server`)
  ).json()) as OAuthMetadata;
  const jwks = createRemoteJWKSet(new URL(String(oauthMetadata.jwks_uri)));
  const verifier: OAuthTokenVerifier = {
    async verifyAccessToken(token) {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: mcpUrl });
      const aud = typeof payload.aud === 'string' ? payload.aud : payload.aud?.[0];
      return {
        token,
        clientId: String(payload.client_id ?? ''),
        scopes: typeof payload.scope === 'string' ? payload.scope.split(' ') : [],
        expiresAt: payload.exp,
        ...(aud ? { resource: new URL(aud) } : {}),
      };
    },
  };

  app.use(
    mcpAuthMetadataRouter({
      oauthMetadata,
      resourceServerUrl: mcpServerUrl,
      scopesSupported: ALL_SCOPES,
      resourceName: 'Peer MCP server (SDK helpers)',
    }),
  );
  const authMiddleware = requireBearerAuth({
    verifier,
    requiredScopes: [],
    resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpServerUrl),
    expectedResource: mcpServerUrl,
  });
  app.post('/mcp', authMiddleware, async (req: Request, res: Response) => {
    // Stateless: a server and a transport per request, as the SDK's stateless example does.
    const mcp = new McpServer({ name: 'peer', version: '0.0.0' });
    for (const name of ['list_todos', 'add_todo']) {
      mcp.registerTool(name, { description: name }, async () => ({
        content: [{ type: 'text', text: `${name} ran` }],
      }));
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
}

async function clientCredentialsToken(scope: string): Promise<string> {
  const registration = await fetch(`${as.issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    }),
  });
  const client = (await registration.json()) as { client_id: string; client_secret: string };
  const response = await fetch(`${as.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scope,
      resource: mcpUrl,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${response.status}`);
  return body.access_token;
}

const byId = (result: CheckResourceServerResult) =>
  new Map<string, Check>(result.checks.map((check) => [check.id, check]));

beforeAll(async () => {
  as = await startDevAuthorizationServer({
    port: 0,
    logger: { info() {}, warn() {}, error() {} },
  });
  await startPeer(as.issuer);
});

afterAll(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await as?.close();
});

describe('mcp-auth-doctor on a server built with the MCP SDK 1.x auth helpers', () => {
  it('finds an error code without credentials, no scope, no root metadata and no CORS', async () => {
    const run = await runDoctorCli([mcpUrl, '--json']);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as CheckResourceServerResult;
    const checks = byId(result);
    expect(
      result.checks.filter((c) => c.status !== 'pass').map((c) => `${c.status} ${c.id}`),
    ).toEqual([
      'warn challenge.scope',
      'fail challenge.no-error',
      'warn prm.root',
      'warn cors.preflight',
      'warn cors.expose-www-authenticate',
    ]);
    // requireBearerAuth answers a request without credentials as if a token had been rejected.
    expect(checks.get('challenge.no-error')!.saw).toBe(
      'error="invalid_token", error_description="Missing Authorization header" on a request that sent no token',
    );
    // requiredScopes: [] (as documented) leaves scope out, so clients ask for scopes_supported.
    expect(checks.get('challenge.scope')!.saw).toBe('the Bearer challenge has no scope');
    // mcpAuthMetadataRouter serves the path-inserted document only.
    expect(checks.get('prm.path-inserted')!.status).toBe('pass');
    expect(checks.get('prm.root')!.saw).toContain('answered 404');
    // No CORS on /mcp unless the application adds it; the metadata router has its own.
    expect(checks.get('cors.preflight')!.saw).toContain('Access-Control-Allow-Origin: (none)');
    expect(checks.get('cors.metadata')!.status).toBe('pass');
    // The rest holds: the challenge points at a served document whose resource is the URL.
    for (const id of ['challenge.resource-metadata', 'prm.pointer', 'prm.resource', 'as.pkce']) {
      expect(checks.get(id)!.status, id).toBe('pass');
    }
  });

  it('serves a valid token; with one scope, a tool call is not refused (no per-tool scopes)', async () => {
    const token = await clientCredentialsToken('todo:read');
    const run = await runDoctorCli([
      mcpUrl,
      '--json',
      '--token',
      token,
      '--step-up-tool',
      'add_todo',
    ]);
    expect(run.stdout).not.toContain(token);
    const result = JSON.parse(run.stdout) as CheckResourceServerResult;
    const checks = byId(result);
    for (const id of [
      'token.aud',
      'token.iss',
      'token.typ',
      'token.exp',
      'token.signature',
      'token.scopes',
      'token.initialize',
      'token.tools-list',
    ]) {
      expect(checks.get(id)!.status, id).toBe('pass');
    }
    expect(checks.get('token.initialize')!.saw).toContain('no session (stateless)');
    // requireBearerAuth checks one scope list for the whole endpoint: add_todo runs on todo:read.
    expect(checks.get('token.step-up')).toMatchObject({ status: 'skip' });
    expect(checks.get('token.step-up')!.saw).toBe(
      'tools/call add_todo answered 200: this token already has what "add_todo" needs',
    );
  });
});
