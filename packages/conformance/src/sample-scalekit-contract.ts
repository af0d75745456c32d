/**
 * The sample-app contract with `MCP_AUTH_PROVIDER=scalekit`, against a local mock of a Scalekit
 * environment: the sample is configured through its own `readConfig`, as `npm start` does.
 */
import {
  createTestIssuer,
  listenTestIssuer,
  type TestIssuer,
  type TestIssuerServer,
} from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_SCOPES,
  challengeParams,
  connectSdkClient,
  INITIALIZE,
  type SampleServerLike,
  type SampleUnderTest,
  toolCall,
} from './sample-kit.js';

const RESOURCE_ID = 'res_sample123';

/** The mock environment and the sample, set by the suite's `beforeAll`. */
interface ScalekitFixture {
  scalekit: TestIssuer;
  environment: TestIssuerServer;
  server: SampleServerLike;
  resourceIssuer: string;
}

/** Starts the mock environment, then the sample configured for it. */
async function startScalekit(sample: SampleUnderTest, f: ScalekitFixture): Promise<void> {
  // Scalekit publishes an environment's signing keys at `<environment URL>/keys` and serves
  // no metadata the sample needs: the mock answers that one path with the test keys.
  let keys: TestIssuer | undefined;
  f.environment = await listenTestIssuer(async (request) =>
    keys !== undefined && new URL(request.url).pathname === '/keys'
      ? Response.json(keys.jwks())
      : Response.json({ error: 'not_found' }, { status: 404 }),
  );
  keys = await createTestIssuer({ issuer: f.environment.url, algorithms: ['RS256'] });
  f.scalekit = keys;
  f.resourceIssuer = `${f.environment.url}/resources/${RESOURCE_ID}`;
  f.server = await sample.startServer(
    sample.readConfig({
      PORT: '0',
      MCP_AUTH_PROVIDER: 'scalekit',
      SCALEKIT_ENVIRONMENT_URL: f.environment.url,
      SCALEKIT_RESOURCE_ID: RESOURCE_ID,
    }),
  );
}

function scalekitHelpers(f: ScalekitFixture) {
  /** A token in Scalekit's shape: `iss` the resource issuer or the environment, `scope` space-delimited. */
  const scalekitToken = (claims: Record<string, unknown>, header: { typ?: string } = {}) =>
    f.scalekit.mintAccessToken({
      claims: { sub: 'usr_alice', client_id: 'skc_host', ...claims },
      header,
    });

  const post = (body: string, accessToken: string) =>
    fetch(f.server.mcpUrl, {
      method: 'POST',
      headers: {
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        authorization: `Bearer ${accessToken}`,
      },
      body,
    });

  async function connect(accessToken: string) {
    return (await connectSdkClient(f.server.mcpUrl, accessToken, 'scalekit-test')).client;
  }

  return { scalekitToken, post, connect };
}

function registerScalekitTests(
  f: ScalekitFixture,
  { scalekitToken, post, connect }: ReturnType<typeof scalekitHelpers>,
): void {
  it('lists the Scalekit resource issuer as the authorization server in the PRM', async () => {
    const { server, resourceIssuer } = f;
    const response = await fetch(server.metadataUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      resource: server.resourceUrl,
      authorization_servers: [resourceIssuer],
      scopes_supported: ['todo:read', 'todo:write', 'calendar:read', 'calendar:write'],
    });
  });

  it('runs tools for Scalekit-shaped tokens with either issuer form and audience form', async () => {
    const { server, environment, resourceIssuer } = f;
    const full = await scalekitToken({
      iss: resourceIssuer,
      aud: [server.resourceUrl],
      scope: ALL_SCOPES,
    });
    const client = await connect(full);
    const added = await client.callTool({ name: 'add_todo', arguments: { title: 'Ship it' } });
    expect(added.isError).toBeFalsy();
    const listed = await client.callTool({ name: 'list_todos', arguments: {} });
    expect(listed.structuredContent).toMatchObject({ todos: [{ title: 'Ship it' }] });
    const whoami = await client.callTool({ name: 'whoami', arguments: {} });
    expect(whoami.structuredContent).toMatchObject({
      subject: 'usr_alice',
      scopes: ALL_SCOPES.split(' '),
      clientId: 'skc_host',
    });
    await client.close();

    // The environment as issuer, the resource id as audience, header typ JWT, read-only scope.
    const readOnly = await scalekitToken(
      { iss: environment.url, aud: [RESOURCE_ID], scope: 'todo:read' },
      { typ: 'JWT' },
    );
    const add = await post(toolCall('add_todo', { title: 'x' }), readOnly);
    expect(add.status).toBe(403);
    expect(challengeParams(add.headers.get('www-authenticate')).error).toBe('insufficient_scope');
    const reader = await connect(readOnly);
    const read = await reader.callTool({ name: 'list_todos', arguments: {} });
    expect(read.structuredContent).toMatchObject({ todos: [{ title: 'Ship it' }] });
    await reader.close();
  });

  it('refuses tokens of another Scalekit resource or audience with 401 invalid_token', async () => {
    const { server, environment, resourceIssuer } = f;
    for (const claims of [
      { iss: `${environment.url}/resources/res_other`, aud: [server.resourceUrl] },
      { iss: resourceIssuer, aud: ['res_other'] },
    ]) {
      const response = await post(
        INITIALIZE,
        await scalekitToken({ ...claims, scope: ALL_SCOPES }),
      );
      expect(response.status).toBe(401);
      expect(challengeParams(response.headers.get('www-authenticate')).error).toBe('invalid_token');
    }
  });
}

/**
 * Registers the Scalekit part of the sample-app contract: the PRM names the Scalekit resource
 * issuer, Scalekit-shaped tokens (either issuer, either audience form) run tools, and tokens of
 * another resource get 401 `invalid_token`.
 */
export function describeScalekitContract(sample: SampleUnderTest): void {
  describe(`${sample.name}: with MCP_AUTH_PROVIDER=scalekit, against a local mock of the environment`, () => {
    const f = {} as ScalekitFixture;
    beforeAll(() => startScalekit(sample, f));
    afterAll(async () => {
      await f.server?.close();
      await f.environment?.close();
    });
    registerScalekitTests(f, scalekitHelpers(f));
  });
}
