import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIntrospectionVerifier } from '../src/create-introspection-verifier.js';
import { createJwtVerifier, type JwtVerifierOptions } from '../src/create-jwt-verifier.js';
import { createMcpAuth } from '../src/create-mcp-auth.js';
import { McpAuthConfigError } from '../src/errors.js';
import {
  type DroppedScope,
  normalizeScopes,
  parseScopeClaims,
  resolveScopeClaims,
} from '../src/normalize-claims.js';
import { auth0 } from '../src/presets/auth0.js';
import { entraId } from '../src/presets/entra-id.js';
import { okta } from '../src/presets/okta.js';
import { scalekit } from '../src/presets/scalekit.js';
import { workos } from '../src/presets/workos.js';

// RFC 6749 §3.3 / RFC 9068 §2.2.3: `scope` is a list of scope-tokens separated by U+0020,
// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). Other scope claims have a declared shape.

const RESOURCE = 'https://mcp.example.com/mcp';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('parseScopeClaims: the scope claim is a U+0020-delimited string of scope-tokens', () => {
  it('splits on U+0020 only; runs of spaces and spaces at either end grant nothing extra', () => {
    expect(parseScopeClaims({ scope: '  todo:read  todo:write todo:read ' })).toEqual({
      scopes: ['todo:read', 'todo:write'],
      dropped: [],
    });
  });

  it.each([
    ['no-break space', 'todo:read\u00a0calendar:write', 'todo:read\\u00a0calendar:write'],
    ['tab', 'todo:read\tcalendar:write', 'todo:read\\u0009calendar:write'],
    ['newline', 'todo:read\ncalendar:write', 'todo:read\\u000acalendar:write'],
    ['carriage return', 'todo:read\rcalendar:write', 'todo:read\\u000dcalendar:write'],
    ['vertical tab', 'todo:read\u000bcalendar:write', 'todo:read\\u000bcalendar:write'],
    ['em space', 'todo:read\u2003calendar:write', 'todo:read\\u2003calendar:write'],
    ['ideographic space', 'todo:read\u3000calendar:write', 'todo:read\\u3000calendar:write'],
    ['line separator', 'todo:read\u2028calendar:write', 'todo:read\\u2028calendar:write'],
  ])(
    'a %s does not separate scopes: the joined value is dropped and reported',
    (_n, raw, shown) => {
      const { scopes, dropped } = parseScopeClaims({ scope: `${raw} todo:write` });
      expect(scopes).toEqual(['todo:write']);
      expect(scopes).not.toContain('calendar:write');
      expect(scopes).not.toContain('todo:read');
      expect(dropped).toEqual([{ claim: 'scope', reason: 'invalid_scope_token', value: shown }]);
    },
  );

  it.each([
    ['a double quote', 'say"hi', 'say"hi'],
    ['a backslash', 'a\\b', 'a\\u005cb'],
    ['a non-ASCII letter', 'tödö:read', 't\\u00f6d\\u00f6:read'],
    ['a control character', 'a\u0000b', 'a\\u0000b'],
    ['DEL', 'a\u007fb', 'a\\u007fb'],
  ])('drops a scope with %s', (_n, raw, shown) => {
    expect(parseScopeClaims({ scope: `ok ${raw}` })).toEqual({
      scopes: ['ok'],
      dropped: [{ claim: 'scope', reason: 'invalid_scope_token', value: shown }],
    });
  });

  it.each([
    [['todo:read', 'calendar:write'], 'array'],
    [42, 'number'],
    [true, 'boolean'],
    [{ 'todo:read': true }, 'object'],
    [null, 'null'],
  ])('a scope claim that is not a string (%j) grants nothing and is reported', (value, type) => {
    expect(parseScopeClaims({ scope: value })).toEqual({
      scopes: [],
      dropped: [{ claim: 'scope', reason: 'wrong_shape', value: type }],
    });
    expect(normalizeScopes({ scope: value })).toEqual([]);
  });

  it('treats an absent claim as no scopes, without a report', () => {
    expect(parseScopeClaims({})).toEqual({ scopes: [], dropped: [] });
    expect(parseScopeClaims({ scope: '' })).toEqual({ scopes: [], dropped: [] });
  });

  it('keeps reports short: at most 16 entries, values cut at 64 printable characters', () => {
    const many = Array.from({ length: 40 }, (_, i) => `bad"${i}`).join(' ');
    const { dropped } = parseScopeClaims({ scope: many });
    expect(dropped).toHaveLength(16);
    const long = parseScopeClaims({ scope: `x\u00a0${'y'.repeat(500)}` })
      .dropped[0] as DroppedScope;
    expect(long.value.length).toBeLessThanOrEqual(64);
    expect(long.value.startsWith('x\\u00a0yyy')).toBe(true);
    const escapes = parseScopeClaims({ scope: '\u00a0'.repeat(100) }).dropped[0] as DroppedScope;
    expect(escapes.value).toBe('\\u00a0'.repeat(10)); // never half an escape
  });
});

describe('parseScopeClaims: other claims in their declared shape', () => {
  it('reads an array claim entry by entry; a string there grants nothing', () => {
    const claims = [{ claim: 'scp', format: 'array' }] as const;
    expect(parseScopeClaims({ scp: ['todo:read', 'calendar:read'] }, claims).scopes).toEqual([
      'todo:read',
      'calendar:read',
    ]);
    expect(parseScopeClaims({ scp: 'todo:read calendar:read' }, claims)).toEqual({
      scopes: [],
      dropped: [{ claim: 'scp', reason: 'wrong_shape', value: 'string' }],
    });
  });

  it('drops array entries that are not scope-tokens or not strings, and keeps the rest', () => {
    const result = parseScopeClaims(
      { permissions: ['todo:read', 'todo:write calendar:write', '', 7, null, ['x'], 'a"b'] },
      ['permissions'],
    );
    expect(result.scopes).toEqual(['todo:read']);
    expect(result.dropped).toEqual([
      { claim: 'permissions', reason: 'invalid_scope_token', value: 'todo:write calendar:write' },
      { claim: 'permissions', reason: 'invalid_scope_token', value: '' },
      { claim: 'permissions', reason: 'wrong_shape', value: 'number' },
      { claim: 'permissions', reason: 'wrong_shape', value: 'null' },
      { claim: 'permissions', reason: 'wrong_shape', value: 'array' },
      { claim: 'permissions', reason: 'invalid_scope_token', value: 'a"b' },
    ]);
  });

  it('reads a declared string claim like scope (Entra ID scp)', () => {
    const claims = [{ claim: 'scp', format: 'string' }] as const;
    expect(parseScopeClaims({ scp: 'todo.read todo.write' }, claims).scopes).toEqual([
      'todo.read',
      'todo.write',
    ]);
    expect(parseScopeClaims({ scp: ['todo.read'] }, claims).dropped).toEqual([
      { claim: 'scp', reason: 'wrong_shape', value: 'array' },
    ]);
  });

  it('merges several claims in order, without duplicates', () => {
    expect(
      normalizeScopes({ scp: ['a', 'b'], permissions: ['c'], scope: 'b d' }, [
        'scp',
        'permissions',
        'scope',
      ]),
    ).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('resolveScopeClaims: each claim declares its shape', () => {
  it('resolves the shorthand: "scope" is a string, any other bare name an array', () => {
    expect(resolveScopeClaims('scopeClaims', ['scope', 'scp', 'permissions', 'roles'])).toEqual([
      { claim: 'scope', format: 'string' },
      { claim: 'scp', format: 'array' },
      { claim: 'permissions', format: 'array' },
      { claim: 'roles', format: 'array' },
    ]);
    expect(resolveScopeClaims('scopeClaims', undefined)).toEqual([
      { claim: 'scope', format: 'string' },
    ]);
    expect(resolveScopeClaims('scopeClaims', [{ claim: 'scp', format: 'string' }])).toEqual([
      { claim: 'scp', format: 'string' },
    ]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['scope as an array', [{ claim: 'scope', format: 'array' }], 'scopeClaims[0]', /"scope"/],
    ['an unknown format', ['scope', { claim: 'scp', format: 'csv' }], 'scopeClaims[1]', /format/],
    ['no format', [{ claim: 'scp' }], 'scopeClaims[0]', /format/],
    ['an extra key', [{ claim: 'scp', format: 'array', split: ',' }], 'scopeClaims[0]', /format/],
    ['an empty name', [''], 'scopeClaims[0]', /claim name/],
    ['a number', [1], 'scopeClaims[0]', /claim name/],
    ['a claim twice', ['scp', { claim: 'scp', format: 'string' }], 'scopeClaims[1]', /twice/],
    ['a string', 'scope', 'scopeClaims', /non-empty array/],
    ['an empty list', [], 'scopeClaims', /non-empty array/],
  ])('refuses %s at construction, naming the entry', (_n, value, option, rule) => {
    const build = () =>
      createJwtVerifier({
        issuer: 'https://auth.example.com',
        resource: RESOURCE,
        scopeClaims: value as JwtVerifierOptions['scopeClaims'],
      });
    expect(build).toThrow(McpAuthConfigError);
    expect(build).toThrow(`option "${option}"`);
    expect(build).toThrow(rule);
  });

  it('presets declare the shape of every claim they read', () => {
    expect(scalekit({ environmentUrl: 'https://acme.scalekit.com' }).jwt.scopeClaims).toEqual([
      'scope',
      { claim: 'scopes', format: 'array' },
    ]);
    expect(auth0({ domain: 'acme.us.auth0.com', permissions: true }).jwt.scopeClaims).toEqual([
      'scope',
      { claim: 'permissions', format: 'array' },
    ]);
    expect(okta({ issuer: 'https://acme.okta.com/oauth2/default' }).jwt.scopeClaims).toEqual([
      { claim: 'scp', format: 'array' },
    ]);
    expect(
      entraId({ tenantId: '00000000-0000-0000-0000-000000000000', audience: 'api://x' }).jwt
        .scopeClaims,
    ).toEqual([
      { claim: 'scp', format: 'string' },
      { claim: 'roles', format: 'array' },
    ]);
    expect(
      workos({ authkitDomain: 'acme.authkit.app', permissions: true }).jwt.scopeClaims,
    ).toEqual(['scope', { claim: 'permissions', format: 'array' }]);
  });
});

describe('signed tokens: lenient scope values grant nothing', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      issuer: 'https://auth.example.com',
      algorithms: ['ES256'],
      audience: RESOURCE,
      scope: 'todo:read',
    });
  });
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const verifier = (options: Partial<JwtVerifierOptions> = {}) =>
    createJwtVerifier({
      issuer: issuer.issuer,
      resource: RESOURCE,
      fetch: issuer.fetch,
      ...options,
    });

  it('a no-break space does not grant calendar:write; authInfo.extra.droppedScopes says why', async () => {
    const token = await issuer.mintAccessToken({
      claims: { scope: 'todo:read\u00a0calendar:write todo:write' },
    });
    const info = await verifier().verifyAccessToken(token);
    expect(info.scopes).toEqual(['todo:write']);
    expect(info.extra?.droppedScopes).toEqual([
      { claim: 'scope', reason: 'invalid_scope_token', value: 'todo:read\\u00a0calendar:write' },
    ]);
  });

  it('an array in scope grants nothing (and the report survives the token cache)', async () => {
    const v = verifier();
    const token = await issuer.mintAccessToken({ claims: { scope: ['todo:read', 'admin'] } });
    for (let i = 0; i < 2; i++) {
      const info = await v.verifyAccessToken(token);
      expect(info.scopes).toEqual([]);
      expect(info.extra?.droppedScopes).toEqual([
        { claim: 'scope', reason: 'wrong_shape', value: 'array' },
      ]);
    }
  });

  it('a clean token has no droppedScopes field at all', async () => {
    const info = await verifier().verifyAccessToken(await issuer.mintAccessToken());
    expect(info.scopes).toEqual(['todo:read']);
    expect(info.extra !== undefined && 'droppedScopes' in info.extra).toBe(false);
  });

  it('an array claim declared as such is read; a string in it is not', async () => {
    const v = verifier({ scopeClaims: [{ claim: 'scp', format: 'array' }] });
    const good = await issuer.mintAccessToken({ omit: ['scope'], claims: { scp: ['a', 'b'] } });
    expect((await v.verifyAccessToken(good)).scopes).toEqual(['a', 'b']);
    const flat = await issuer.mintAccessToken({ omit: ['scope'], claims: { scp: 'a b' } });
    const info = await v.verifyAccessToken(flat);
    expect(info.scopes).toEqual([]);
    expect(info.extra?.droppedScopes).toEqual([
      { claim: 'scp', reason: 'wrong_shape', value: 'string' },
    ]);
  });

  it('createMcpAuth answers 403 for the tool a mis-delimited scope would have reached', async () => {
    const auth = createMcpAuth({
      resource: RESOURCE,
      issuer: issuer.issuer,
      jwt: { fetch: issuer.fetch },
      policy: { tools: { list_todos: 'todo:read', create_event: 'calendar:write' } },
    });
    const createEvent = async (scope: string) =>
      auth.authorize({
        method: 'POST',
        url: '/mcp',
        headers: {
          authorization: `Bearer ${await issuer.mintAccessToken({ claims: { scope } })}`,
          'content-type': 'application/json',
        },
        body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'create_event' } },
      });
    expect((await createEvent('todo:read calendar:write')).type).toBe('allow');
    const result = await createEvent('todo:read\tcalendar:write');
    expect(result).toMatchObject({
      type: 'deny',
      status: 403,
      body: { error: 'insufficient_scope' },
    });
  });
});

describe('introspection responses: the same rules', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const verifierAnswering = (extra: Record<string, unknown>) =>
    createIntrospectionVerifier({
      endpoint: 'https://auth.example.com/introspect',
      clientId: 'mcp',
      clientSecret: 'secret',
      resource: RESOURCE,
      fetch: (async () =>
        new Response(
          JSON.stringify({ active: true, aud: RESOURCE, exp: NOW / 1000 + 60, ...extra }),
          { headers: { 'content-type': 'application/json' } },
        )) as typeof fetch,
    });

  it('a scope array grants nothing; a no-break space joins nothing', async () => {
    const array = await verifierAnswering({ scope: ['todo:read'] }).verifyAccessToken('t');
    expect(array.scopes).toEqual([]);
    expect(array.extra?.droppedScopes).toEqual([
      { claim: 'scope', reason: 'wrong_shape', value: 'array' },
    ]);
    const nbsp = await verifierAnswering({ scope: 'a\u00a0b c' }).verifyAccessToken('t');
    expect(nbsp.scopes).toEqual(['c']);
  });
});
