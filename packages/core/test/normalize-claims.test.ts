import { describe, expect, it } from 'vitest';
import { normalizeScopes, toAuthInfo } from '../src/normalize-claims.js';

describe('normalizeScopes', () => {
  it('splits the space-delimited scope claim on U+0020 only (RFC 9068 §2.2.3)', () => {
    expect(normalizeScopes({ scope: '  todo:read todo:write  todo:read ' })).toEqual([
      'todo:read',
      'todo:write',
    ]);
    expect(normalizeScopes({ scope: 'todo:read\ttodo:write calendar:read' })).toEqual([
      'calendar:read',
    ]);
  });

  it('reads array claims and merges several claims in order', () => {
    expect(
      normalizeScopes({ scp: ['a', 'b', 3, ''], permissions: ['c'], scope: 'b d' }, [
        'scp',
        'permissions',
        'scope',
      ]),
    ).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ignores claims that are absent or of another type', () => {
    expect(normalizeScopes({ scope: 42, scp: { a: 1 } }, ['scope', 'scp', 'scopes'])).toEqual([]);
    expect(normalizeScopes({})).toEqual([]);
  });
});

describe('toAuthInfo', () => {
  const resource = new URL('https://mcp.example.com/mcp');

  it('reports dropped scope values in extra.droppedScopes, and only then', () => {
    const info = toAuthInfo('t', { scope: ['x'] }, resource);
    expect(info.scopes).toEqual([]);
    expect(info.extra?.droppedScopes).toEqual([
      { claim: 'scope', reason: 'wrong_shape', value: 'array' },
    ]);
    expect(toAuthInfo('t', { scope: 'x' }, resource).extra).not.toHaveProperty('droppedScopes');
  });

  it('builds the SDK AuthInfo shape', () => {
    const payload = { sub: 's', iss: 'https://i', client_id: 'c', azp: 'z', exp: 99, scope: 'x y' };
    expect(toAuthInfo('tok', payload, resource)).toEqual({
      token: 'tok',
      clientId: 'c',
      scopes: ['x', 'y'],
      expiresAt: 99,
      resource,
      extra: { sub: 's', iss: 'https://i', claims: payload },
    });
  });

  it('falls back to azp, then the empty string, and omits a missing exp', () => {
    expect(toAuthInfo('t', { azp: 'z' }, resource).clientId).toBe('z');
    const bare = toAuthInfo('t', { client_id: 5 }, resource);
    expect(bare.clientId).toBe('');
    expect('expiresAt' in bare).toBe(false);
  });

  it('uses the given scope claims', () => {
    expect(toAuthInfo('t', { scp: ['a'] }, resource, ['scp']).scopes).toEqual(['a']);
  });
});
