import { describe, expect, it } from 'vitest';
import { createMcpAuth } from '../../src/index.js';

// Runs only under vitest.edge.config.ts (environment: 'edge-runtime').
describe('Web-standard runtime', () => {
  it('runs inside @edge-runtime/vm', () => {
    expect(typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime).toBe('string');
  });

  it('decides a request with Web Headers and a byte body', async () => {
    const auth = createMcpAuth({
      resource: 'https://mcp.example.com/mcp',
      authorizationServers: ['https://auth.example.com'],
      verifier: {
        async verifyAccessToken(token) {
          return { token, clientId: 'c', scopes: ['todo:read'], extra: { sub: 'u' } };
        },
      },
      policy: { tools: { add_todo: 'todo:write' } },
    });
    const body = new TextEncoder().encode(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_todo' } }),
    );
    const result = await auth.authorize({
      method: 'POST',
      url: new URL('https://mcp.example.com/mcp'),
      headers: new Headers({ authorization: 'Bearer abc' }),
      body,
    });
    expect(result.type === 'deny' && result.status).toBe(403);
  });
});
