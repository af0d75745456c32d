import { randomUUID } from 'node:crypto';
import type { SampleName } from '@org/demo';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Stack } from '../helpers.js';
import {
  type Authorize,
  type ClientName,
  createMatrixClient,
  type MatrixClient,
} from './clients.js';
import {
  behaviours,
  challengeScope,
  expectDiscoveryAndRegistration,
  scopesOfToken,
  splitScope,
  step,
} from './flow.js';

/**
 * What each client asks for, as observed (see the root README's "Clients" section): the
 * `scope` of its first authorization request (the 401 names `todo:read`) and of its step-up
 * after a 403 naming `todo:write todo:read`.
 */
const EXPECTED: Record<ClientName, { firstScope: string[]; stepUpScope: string[] }> = {
  // The challenge's scope, as is.
  'sdk-v1': { firstScope: ['todo:read'], stepUpScope: ['todo:read', 'todo:write'] },
  // offline_access added (the server offers it, the client registered for refresh tokens);
  // the step-up asks for the union of what it holds, asked for and was challenged with.
  'sdk-v2': {
    firstScope: ['offline_access', 'todo:read'],
    stepUpScope: ['offline_access', 'todo:read', 'todo:write'],
  },
  'mcp-remote': {
    firstScope: ['offline_access', 'todo:read'],
    stepUpScope: ['offline_access', 'todo:read', 'todo:write'],
  },
};

/**
 * The whole flow for one client on one sample, as a sequence of tests (call inside a
 * `describe`): 401 → discovery → registration → consent → tools → 403 → step-up → the tool
 * works with the scopes accumulated → (clients that store tokens) a restart with no consent.
 */
export function clientFlow(options: {
  sampleName: SampleName;
  clientName: ClientName;
  stack: () => Stack;
  /** The user; default the scripted form-poster. */
  authorize?: () => Authorize;
  /** The samples run with `MCP_HIDE_UNAUTHORIZED_TOOLS=1`: lists grow with the token's scopes. */
  hideUnauthorizedTools?: boolean;
}): void {
  const { sampleName, clientName } = options;
  const ALL_TOOLS = ['add_todo', 'create_event', 'list_events', 'list_todos', 'whoami'];
  /** What tools/list shows a token holding `todo:read` (and `todo:write` after the step-up). */
  const listed = (steppedUp: boolean) =>
    options.hideUnauthorizedTools
      ? steppedUp
        ? ['add_todo', 'list_todos', 'whoami']
        : ['list_todos', 'whoami']
      : ALL_TOOLS;
  let client: MatrixClient;
  const stack = () => options.stack();
  const resource = () => stack().samples[sampleName].resource;
  const run = (name: string, body: () => Promise<void>) => step(sampleName, clientName, name, body);

  beforeAll(async () => {
    const authorize = options.authorize?.();
    client = await createMatrixClient(clientName, {
      url: resource(),
      ...(authorize ? { authorize } : {}),
    });
  });

  afterAll(async () => {
    await client?.close();
  });

  it('401 → discovery → registration → consent → token (first consent asks for todo:read)', async () => {
    await run('connect', async () => {
      await client.connect();
      expectDiscoveryAndRegistration(await client.exchanges(), resource(), stack().as.issuer);
      expect(client.consents).toHaveLength(1);
      const [first] = client.consents;
      const url = first?.authorizationUrl;
      expect(url?.searchParams.get('resource')).toBe(resource());
      expect(url?.searchParams.get('code_challenge_method')).toBe('S256');
      // The resource scopes asked for are exactly the 401's; a client may add offline_access.
      expect(splitScope(first?.requestedScope)).toEqual(EXPECTED[clientName].firstScope);
      expect(first?.consentScopes?.filter((s) => s !== 'offline_access')).toEqual(['todo:read']);
      expect(scopesOfToken(await client.accessToken())).toEqual(['todo:read']);
      // mcp-remote's code arrives through its loopback callback listener.
      if (clientName === 'mcp-remote') {
        expect(first?.redirectUrl.pathname).toBe('/oauth/callback');
        expect(first?.callbackStatus).toBe(200);
      }
    });
  });

  it('tools/list (every tool, or with the filter the todo:read ones) and list_todos with todo:read', async () => {
    await run('tools', async () => {
      // With MCP_HIDE_UNAUTHORIZED_TOOLS=1 the samples list only what a token may call.
      expect((await client.listTools()).sort()).toEqual(listed(false));
      const todos = await client.callTool('list_todos');
      expect(todos.isError, todos.text).toBe(false);
    });
  });

  const title = `matrix ${clientName} ${randomUUID()}`;

  it('add_todo: 403 insufficient_scope → step-up → succeeds', async () => {
    await run('step-up', async () => {
      const before = (await client.exchanges()).length;
      const added = await client.callTool('add_todo', { title });
      expect(added.isError, added.text).toBe(false);
      const after = (await client.exchanges()).slice(before);
      const forbidden = after.find((e) => e.url === resource() && e.status === 403);
      expect(forbidden, 'a 403 from the sample').toBeDefined();
      expect(forbidden?.wwwAuthenticate).toContain('error="insufficient_scope"');
      expect(splitScope(challengeScope(forbidden))).toContain('todo:write');
      expect(client.consents).toHaveLength(2);
      const second = client.consents[1];
      expect(splitScope(second?.requestedScope)).toContain('todo:write');
      // The consent page lists only what was not granted yet.
      expect(second?.consentScopes?.filter((s) => s !== 'offline_access')).toEqual(['todo:write']);

      const forbiddenAt = after.indexOf(forbidden as (typeof after)[number]);
      const tokenRequests = after
        .slice(forbiddenAt)
        .filter((e) => e.method === 'POST' && new URL(e.url).pathname === '/token');
      expect(splitScope(second?.requestedScope)).toEqual(EXPECTED[clientName].stepUpScope);
      // No refresh between the 403 and the step-up: one token request, the code's.
      expect(tokenRequests).toHaveLength(1);
      behaviours.push({
        sample: sampleName,
        client: clientName,
        firstScope: client.consents[0]?.requestedScope ?? '',
        firstConsent: (client.consents[0]?.consentScopes ?? []).join(' '),
        forbiddenScope: challengeScope(forbidden),
        stepUpScope: second?.requestedScope ?? '',
        // One token request redeems the step-up's code; any before it was a refresh.
        refreshesBeforeStepUp: Math.max(0, tokenRequests.length - 1),
        finalScopes: scopesOfToken(await client.accessToken()).join(' '),
        callbackWaits: client.consents.map((c) => c.callbackWaitMs ?? '-').join(' / '),
      });
    });
  });

  it('the token after step-up still carries todo:read (scopes accumulate); a filtered tools/list grows', async () => {
    await run('accumulated', async () => {
      expect(scopesOfToken(await client.accessToken())).toEqual(['todo:read', 'todo:write']);
      expect((await client.listTools()).sort()).toEqual(listed(true));
      const todos = await client.callTool('list_todos');
      expect(todos.isError, todos.text).toBe(false);
      expect(todos.text).toContain(title);
    });
  });

  it.runIf(clientName === 'mcp-remote')(
    'restarts from its stored tokens with no new consent',
    async () => {
      await run('restart', async () => {
        const consents = client.consents.length;
        await client.restart?.();
        const todos = await client.callTool('list_todos');
        expect(todos.isError, todos.text).toBe(false);
        expect(todos.text).toContain(title);
        const again = await client.callTool('add_todo', { title: `${title} again` });
        expect(again.isError, again.text).toBe(false);
        expect(client.consents).toHaveLength(consents);
      });
    },
  );
}
