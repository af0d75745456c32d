import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeTokenHash, withNodeTokenHash } from '../src/with-node-token-hash.js';

import type { McpAuthOptions } from '@org/mcp-auth-core';

const base: McpAuthOptions = {
  resource: 'https://mcp.example.com/mcp',
  issuer: 'https://auth.example.com',
};

describe('withNodeTokenHash', () => {
  it('hashes with node:crypto SHA-256 (base64, never the token)', () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';
    const key = nodeTokenHash(token);
    expect(key).toBe(createHash('sha256').update(token).digest('base64'));
    expect(key).toHaveLength(44);
    expect(key).not.toContain(token);
  });

  it('injects the hash into the built-in verifier cache, keeping other options', () => {
    const options = withNodeTokenHash({
      ...base,
      jwt: { clockTolerance: 5, cache: { maxEntries: 9 } },
    });
    expect(options.jwt).toEqual({
      clockTolerance: 5,
      cache: { maxEntries: 9, hash: nodeTokenHash },
    });
    expect(withNodeTokenHash(base).jwt).toEqual({ cache: { hash: nodeTokenHash } });
  });

  it('leaves a user hash, a disabled cache and a custom verifier alone', () => {
    const hash = (t: string) => t.length.toString();
    const own = { ...base, jwt: { cache: { hash } } };
    expect(withNodeTokenHash(own)).toBe(own);
    const off = { ...base, jwt: { cache: false as const } };
    expect(withNodeTokenHash(off)).toBe(off);
    const verifier = { verifyAccessToken: async () => ({ token: '', clientId: '', scopes: [] }) };
    const custom = {
      resource: base.resource,
      authorizationServers: ['https://auth.example.com'],
      verifier,
    };
    expect(withNodeTokenHash(custom)).toBe(custom);
    const odd = { ...base, jwt: { cache: true as never } };
    expect(withNodeTokenHash(odd)).toBe(odd); // left for the core to reject
  });
});
