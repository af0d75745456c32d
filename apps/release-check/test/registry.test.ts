import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type RunningTestIssuer, startTestIssuer } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isolatedEnv,
  type LocalRegistry,
  publishWorkspace,
  startLocalRegistry,
} from '../src/local-registry.js';
import {
  createQuickStartProject,
  freePort,
  type RunningServer,
  startServer,
} from '../src/quick-start-project.js';
import {
  extractInstallCommands,
  extractQuickStart,
  replaceEachOnce,
} from '../src/readme-quick-start.js';
import { runCommand } from '../src/run-command.js';
import {
  dependencyMap,
  listPublishedPackages,
  readManifest,
  repositoryRoot,
} from '../src/workspace-packages.js';

const root = repositoryRoot();
const packages = listPublishedPackages(root);
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The workspace's version range of `name`, as `dir/package.json` pins it in `field`. */
function workspaceRange(name: string, dir: string, field: 'dependencies' | 'devDependencies') {
  const range = dependencyMap(readManifest(join(root, dir, 'package.json')), field)[name];
  if (!range) throw new Error(`${dir}/package.json has no ${field}.${name}`);
  return range;
}

/**
 * Versions for what the README's install lines name, taken from the workspace so the fresh
 * project resolves what the pnpm store already holds. `@org/*` packages go unpinned: by name.
 */
const PINS: Record<string, string> = {
  '@modelcontextprotocol/sdk': workspaceRange(
    '@modelcontextprotocol/sdk',
    'packages/express',
    'devDependencies',
  ),
  express: workspaceRange('express', 'packages/express', 'devDependencies'),
  '@types/express': workspaceRange('@types/express', 'packages/express', 'devDependencies'),
  fastify: workspaceRange('fastify', 'packages/fastify', 'devDependencies'),
  hono: workspaceRange('hono', 'packages/hono', 'devDependencies'),
  '@hono/node-server': workspaceRange('@hono/node-server', 'packages/hono', 'devDependencies'),
  zod: workspaceRange('zod', 'packages/express', 'devDependencies'),
  typescript: workspaceRange('typescript', '.', 'devDependencies'),
  '@types/node': workspaceRange('@types/node', '.', 'devDependencies'),
};

/** `name@range` for a package an install line names; `@org/*` by name alone. */
function spec(name: string): string {
  if (name.startsWith('@org/')) return name;
  const range = PINS[name];
  if (!range) throw new Error(`the README installs ${name}: add its workspace pin to PINS`);
  return `${name}@${range}`;
}

/** What `buildServer()` stands for in the README's snippets: an McpServer with one tool. */
const BUILD_SERVER = `import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

function buildServer(): McpServer {
  const server = new McpServer({ name: 'quick-start', version: '1.0.0' });
  server.registerTool('list_todos', { description: 'Lists the todos' }, async (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({ clientId: extra.authInfo?.clientId, scopes: extra.authInfo?.scopes }),
      },
    ],
  }));
  return server;
}

`;

interface QuickStart {
  name: 'express' | 'fastify' | 'hono';
  /** The quick start's own listen call, replaced with one on `port`. */
  listen?: [from: string, to: (port: number) => string];
  /** Code appended after the quick start (Hono's Node server). */
  epilogue?: (port: number) => string;
}

/** Each framework's quick start in the root README; what it installs comes from its install line. */
const QUICK_STARTS: QuickStart[] = [
  {
    name: 'express',
    listen: ["app.listen(3000, '127.0.0.1')", (port) => `app.listen(${port}, '127.0.0.1')`],
  },
  {
    name: 'fastify',
    listen: [
      "app.listen({ port: 3000, host: '127.0.0.1' })",
      (port) => `app.listen({ port: ${port}, host: '127.0.0.1' })`,
    ],
  },
  {
    name: 'hono',
    // The README's comment: on Node, serve({ fetch: app.fetch }) from @hono/node-server.
    epilogue: (port) =>
      `\nimport { serve } from '@hono/node-server';\nserve({ fetch: app.fetch, port: ${port}, hostname: '127.0.0.1' });\n`,
  },
];

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'release-check', version: '1.0.0' },
  },
};
const MCP_HEADERS = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
};

let startedAt: number;
let work: string;
let registry: LocalRegistry | undefined;
let issuer: RunningTestIssuer | undefined;
let published: string;

beforeAll(async () => {
  startedAt = performance.now();
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist'))) {
      throw new Error(`${pkg.manifest.name} has no dist/: run pnpm build first (pnpm test does)`);
    }
  }
  work = mkdtempSync(join(tmpdir(), 'mcp-auth-registry-'));
  [registry, issuer] = await Promise.all([
    startLocalRegistry(join(work, 'registry')),
    startTestIssuer(),
  ]);
  published = await publishWorkspace(root, registry);
}, 90_000);

afterAll(async () => {
  await Promise.all([registry?.close(), issuer?.close()]);
  if (work) rmSync(work, { recursive: true, force: true });
  if (startedAt) {
    console.log(`registry test: ${Math.round(performance.now() - startedAt)} ms in all`);
  }
});

describe('published to a local Verdaccio with pnpm publish -r', () => {
  it('runs the registry outside the workspace, on loopback', () => {
    expect(relative(root, work).startsWith('..')).toBe(true);
    expect(registry!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(registry!.pid).toBeGreaterThan(0);
  });

  it('release-check depends on every published package, so turbo builds them first', () => {
    const own = readManifest(new URL('../package.json', import.meta.url).pathname);
    const deps = dependencyMap(own, 'devDependencies');
    for (const pkg of packages) expect(deps[pkg.manifest.name], pkg.manifest.name).toBeDefined();
  });

  it.each(packages.map((pkg) => [pkg.manifest.name, pkg.manifest.version] as const))(
    '%s@%s is fetchable by name, its workspace: ranges resolved',
    async (name, version) => {
      expect(published).toContain(`${name}@${version}`);
      const { stdout } = await runCommand(
        'npm',
        ['view', name, 'name', 'version', 'dependencies', '--json', '--registry', registry!.url],
        { cwd: work, env: isolatedEnv(), timeoutMs: 30_000 },
      );
      const view = JSON.parse(stdout) as {
        name: string;
        version: string;
        dependencies?: Record<string, string>;
      };
      expect(view.name).toBe(name);
      expect(view.version).toBe(version);
      for (const [dep, range] of Object.entries(view.dependencies ?? {})) {
        expect(range, dep).not.toMatch(/^workspace:/);
        if (dep.startsWith('@org/')) expect(range, dep).toMatch(/^\^\d+\.\d+\.\d+/);
      }
    },
  );
});

describe('the root README quick starts, installed by name in a fresh project', () => {
  it.each(QUICK_STARTS)(
    '$name: pnpm add, tsc, start: 401 with a challenge, 200 and a tool call with a token',
    async (quickStart) => {
      const fresh = performance.now();
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const resource = `${origin}/mcp`;
      const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
      const replacements: [string, string][] = [
        ["'https://mcp.example.com/mcp'", JSON.stringify(resource)],
        ["'https://auth.example.com'", JSON.stringify(issuer!.issuer)],
      ];
      if (quickStart.listen) replacements.push([quickStart.listen[0], quickStart.listen[1](port)]);
      const code = replaceEachOnce(
        extractQuickStart(readme, quickStart.name),
        replacements,
        `README.md, ${quickStart.name} quick start`,
      );
      const install = extractInstallCommands(readme, quickStart.name);
      const adapter = `@org/mcp-auth-${quickStart.name}`;
      expect(install.dependencies).toContain(adapter);
      expect(install.devDependencies).toContain('typescript');
      const dir = join(work, `quick-start-${quickStart.name}`);
      const timings = await createQuickStartProject({
        dir,
        scopeRegistry: registry!.url,
        dependencies: install.dependencies.map(spec),
        devDependencies: install.devDependencies.map(spec),
        source: BUILD_SERVER + code + (quickStart.epilogue?.(port) ?? ''),
      });
      const installed = readManifest(join(dir, 'node_modules', adapter, 'package.json'));
      expect(installed.version).toBe(
        packages.find((pkg) => pkg.manifest.name === adapter)!.manifest.version,
      );

      let server: RunningServer | undefined;
      try {
        server = await startServer(dir, metadataUrl);
        const anonymous = await fetch(resource, {
          method: 'POST',
          headers: MCP_HEADERS,
          body: JSON.stringify(INITIALIZE),
        });
        const answeredMs = Math.round(performance.now() - fresh);
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toMatch(
          new RegExp(`^Bearer resource_metadata="${metadataUrl.replace(/[.?]/g, '\\$&')}"`),
        );

        const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
        expect(metadata.resource).toBe(resource);
        expect(metadata.authorization_servers).toEqual([issuer!.issuer]);

        const token = await issuer!.mintAccessToken({
          claims: { aud: resource, scope: 'todo:read' },
        });
        const authorized = await fetch(resource, {
          method: 'POST',
          headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
          body: JSON.stringify(INITIALIZE),
        });
        expect(authorized.status).toBe(200);
        await authorized.body?.cancel();

        const stepUp = await fetch(resource, {
          method: 'POST',
          headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 2,
            method: 'tools/call',
            params: { name: 'add_todo', arguments: { title: 'x' } },
          }),
        });
        expect(stepUp.status).toBe(403);
        expect(stepUp.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);

        const client = new Client({ name: 'release-check', version: '1.0.0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(resource), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
        );
        try {
          const result = await client.callTool({ name: 'list_todos', arguments: {} });
          expect(result.isError).not.toBe(true);
          const [content] = result.content as { type: string; text: string }[];
          expect(JSON.parse(content!.text)).toEqual({
            clientId: 'test-client',
            scopes: ['todo:read'],
          });
        } finally {
          await client.close();
        }
        console.log(
          `${quickStart.name} quick start: fresh project to server answered in ${answeredMs} ms ` +
            `(pnpm add ${timings.installMs} ms, tsc ${timings.compileMs} ms, ` +
            `start ${answeredMs - timings.installMs - timings.compileMs} ms)`,
        );
      } catch (error) {
        throw new Error(`${String(error)}\n--- server output\n${server?.output() ?? ''}`, {
          cause: error,
        });
      } finally {
        await server?.stop();
      }
    },
    120_000,
  );
});
