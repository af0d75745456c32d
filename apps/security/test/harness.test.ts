import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  callTool,
  challengeFor,
  deleteSession,
  expectDenial,
  openSession,
  openStream,
  postMcp,
  rpcResult,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

const env = useSecurityEnvironment();

describe.each(ADAPTERS)('harness on %s', (adapter) => {
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
