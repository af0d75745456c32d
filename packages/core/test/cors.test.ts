import { describe, expect, it } from 'vitest';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, createCors } from '../src/cors.js';

describe('createCors', () => {
  it("'*' allows everyone and exposes WWW-Authenticate and Mcp-Session-Id", () => {
    const cors = createCors();
    expect(cors.isAllowed('https://evil.example')).toBe(true);
    expect(cors.responseHeaders('https://a.example')).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id',
      Vary: 'Origin',
    });
    const first = cors.responseHeaders('https://a.example');
    first.x = 'mutated';
    expect(cors.responseHeaders('https://a.example')).not.toHaveProperty('x');
  });

  it('no Origin, no CORS header: a fresh empty record under either configuration', () => {
    for (const cors of [createCors(), createCors({ allowedOrigins: ['https://app.example'] })]) {
      const first = cors.responseHeaders(undefined);
      expect(first).toEqual({});
      first.x = 'mutated';
      expect(cors.responseHeaders(undefined)).toEqual({});
    }
  });

  it("'*' preflight answers 204 with methods, headers and max-age", () => {
    expect(createCors({ maxAgeSeconds: 60 }).preflight('https://a.example')).toEqual({
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers':
          'Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID',
        'Access-Control-Max-Age': '60',
      },
    });
    expect(CORS_ALLOW_METHODS).toContain('DELETE');
    expect(CORS_ALLOW_HEADERS).toContain('Authorization');
  });

  it('a list echoes allowed origins with Vary: Origin and refuses others', () => {
    const cors = createCors({ allowedOrigins: ['https://App.example', 'http://localhost:5173'] });
    expect(cors.isAllowed('https://app.example')).toBe(true);
    expect(cors.isAllowed(undefined)).toBe(true);
    expect(cors.isAllowed('https://evil.example')).toBe(false);
    expect(cors.responseHeaders('https://app.example')).toEqual({
      'Access-Control-Allow-Origin': 'https://app.example',
      'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id',
      Vary: 'Origin',
    });
    expect(cors.responseHeaders('https://evil.example')).toEqual({ Vary: 'Origin' });
    const ok = cors.preflight('http://localhost:5173');
    expect(ok.status).toBe(204);
    expect(ok.headers['Access-Control-Allow-Origin']).toBe('http://localhost:5173');
    expect(ok.headers.Vary).toBe('Origin');
    expect(cors.preflight(undefined).headers).not.toHaveProperty('Access-Control-Allow-Origin');
    const refused = cors.preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      error: 'invalid_origin',
      error_description: 'Origin not allowed',
    });
  });
});
