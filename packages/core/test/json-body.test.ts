import { describe, expect, it } from 'vitest';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import { BODY_TOO_LARGE, isJsonContentType, parseJsonText } from '../src/json-body.js';
import { answerMetadataRequest } from '../src/metadata-routes.js';
import type { AccessTokenVerifier } from '../src/types.js';

const verifier: AccessTokenVerifier = {
  verifyAccessToken: async () => {
    throw new Error('not used');
  },
};

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/vnd.api+json', true],
    ['text/plain', false],
    ['application/jsonp', false],
    ['', false],
    [null, false],
    [undefined, false],
  ])('%j → %j', (type, expected) => {
    expect(isJsonContentType(type)).toBe(expected);
  });
});

describe('parseJsonText', () => {
  it('parses JSON, keeps unparseable text for the -32700 answer, and reads empty as no body', () => {
    expect(parseJsonText('{"jsonrpc":"2.0","id":1}')).toEqual({ jsonrpc: '2.0', id: 1 });
    expect(parseJsonText('[1,2]')).toEqual([1, 2]);
    expect(parseJsonText('{')).toBe('{');
    expect(parseJsonText('')).toBeUndefined();
  });
});

describe('BODY_TOO_LARGE', () => {
  it('is a frozen JSON-RPC 413', () => {
    expect(BODY_TOO_LARGE).toEqual({
      status: 413,
      headers: { 'Content-Type': 'application/json' },
      body: {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'Request body too large' },
      },
    });
    expect(Object.isFrozen(BODY_TOO_LARGE.headers)).toBe(true);
  });
});

describe('answerMetadataRequest', () => {
  const a = createMcpAuth({
    resource: 'https://mcp.example.com/a/mcp',
    verifier,
    authorizationServers: ['https://as.example.com'],
  });
  const b = createMcpAuth({
    resource: 'https://mcp.example.com/b/mcp',
    verifier,
    authorizationServers: ['https://as.example.com'],
  });
  const get = (path: string) => ({
    method: 'GET',
    url: `https://mcp.example.com${path}`,
    headers: {},
  });

  it("answers each endpoint's document, whichever instance comes first", () => {
    for (const cores of [
      [a, b],
      [b, a],
    ]) {
      const answerA = answerMetadataRequest(
        cores,
        get('/.well-known/oauth-protected-resource/a/mcp'),
      );
      const answerB = answerMetadataRequest(
        cores,
        get('/.well-known/oauth-protected-resource/b/mcp'),
      );
      expect(answerA?.status).toBe(200);
      expect((answerA!.body as { resource: string }).resource).toBe(
        'https://mcp.example.com/a/mcp',
      );
      expect((answerB!.body as { resource: string }).resource).toBe(
        'https://mcp.example.com/b/mcp',
      );
    }
  });

  it('404s unknown metadata paths and leaves other paths to the app', () => {
    expect(
      answerMetadataRequest([a, b], get('/.well-known/oauth-protected-resource/c'))?.status,
    ).toBe(404);
    expect(answerMetadataRequest([a, b], get('/mcp'))).toBeUndefined();
  });
});
