import { expect, it } from 'vitest';
import {
  callTool,
  challengeFor,
  deleteSession,
  describeEachAdapter,
  expectDenial,
  openSession,
  openStream,
  postMcp,
  rawPathRequest,
  rpcResult,
  sendOnSession,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
  withOrigin,
} from '../src/index.js';

const env = useSecurityEnvironment();

describeEachAdapter('harness', (adapter) => {
  it('opens a session, runs a tool with the right scope and closes the session', async () => {
    const server = env.server(adapter);
    const token = await env.mint(server, { scope: 'todo:read' });
    const { sessionId } = await openSession(server, token);
    expect(server.sessionCount()).toBe(1);
    const { runs, result } = await toolRunsDuring(server, () =>
      callTool(server, { token, sessionId }, 'list_todos'),
    );
    expect(result.status).toBe(200);
    expect(rpcResult(result).result?.isError).toBeUndefined();
    expect(runs).toBe(1);
    expect(server.toolCalls.at(-1)).toEqual({
      tool: 'list_todos',
      sub: 'alice',
      scopes: ['todo:read'],
    });
    const stream = await openStream(server, sessionId, token);
    expect(stream.status).toBe(200);
    const deleted = await deleteSession(server, sessionId, token);
    expect(deleted.status).toBe(200);
    expect(server.sessionCount()).toBe(0);
  });

  it('sends on a session, with an Origin and on a raw path, as later tests need', async () => {
    const server = env.server(adapter);
    const token = await env.mint(server, { scope: 'todo:read' });
    const { sessionId } = await openSession(server, token);
    const onSession = await sendOnSession(server, sessionId, token, toolCall('whoami'));
    expect(onSession.status).toBe(200);
    expect(server.toolCalls.at(-1)?.tool).toBe('whoami');
    const origin = await postMcp(
      server,
      toolCall('whoami'),
      withOrigin('http://localhost:6274', {}),
    );
    expect(origin.status).toBe(401);
    const raw = await rawPathRequest(server, '/no-such-path', { body: toolCall('whoami') });
    expect(raw.status).toBe(404);
    expect(server.decisions.length).toBeGreaterThan(0);
    expect(server.responses.at(-1)).toBe(raw);
  });

  it('answers a request without a token with the exact 401', async () => {
    const server = env.server(adapter);
    const res = await postMcp(server, toolCall('list_todos'));
    expectDenial(res, {
      status: 401,
      challenge: challengeFor(server, { scope: 'todo:read' }),
      body: { error: 'missing_credentials', error_description: 'Authorization required' },
    });
  });
});
