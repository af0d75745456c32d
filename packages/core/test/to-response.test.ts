import { describe, expect, it } from 'vitest';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import { toResponse } from '../src/to-response.js';

const auth = createMcpAuth({
  resource: 'https://mcp.example.com/mcp',
  authorizationServers: ['https://auth.example.com'],
  verifier: {
    async verifyAccessToken() {
      throw new Error('unused');
    },
  },
});

describe('toResponse', () => {
  it('serialises a denial with its status and headers', async () => {
    const result = await auth.authorize({ method: 'POST', url: '/mcp', headers: {} });
    if (result.type !== 'deny') throw new Error('expected deny');
    const response = toResponse(result);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
    );
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual(result.body);
  });

  it('sends no body for 204 and bodiless answers', async () => {
    const preflight = toResponse(auth.preflight({ method: 'OPTIONS', url: '/mcp', headers: {} }));
    expect(preflight.status).toBe(204);
    expect(preflight.body).toBeNull();
    const head = toResponse(
      auth.handleMetadataRequest({ method: 'HEAD', url: auth.metadata.path, headers: {} }) ?? {
        status: 500,
        headers: {},
      },
    );
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const get = toResponse(
      auth.handleMetadataRequest({ method: 'GET', url: auth.metadata.path, headers: {} }) ?? {
        status: 500,
        headers: {},
      },
    );
    expect(await get.json()).toEqual(auth.metadata.document);
  });
});
