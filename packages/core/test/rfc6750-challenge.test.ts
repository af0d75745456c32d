import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildChallenge,
  formatScope,
  parseChallenge,
  sanitizeChallengeValue,
} from '../src/www-authenticate.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('buildChallenge (RFC 6750 §3, RFC 9728 §5.1)', () => {
  it('builds the no-credentials challenge without error', () => {
    expect(buildChallenge({ resourceMetadata: PRM, scope: ['todo:read', 'todo:write'] })).toBe(
      `Bearer resource_metadata="${PRM}", scope="todo:read todo:write"`,
    );
  });

  it('puts error before error_description, then resource_metadata and scope', () => {
    expect(
      buildChallenge({
        scope: 'todo:write',
        resourceMetadata: PRM,
        errorDescription: 'Missing required scope: todo:write',
        error: 'insufficient_scope',
      }),
    ).toBe(
      `Bearer error="insufficient_scope", error_description="Missing required scope: todo:write", resource_metadata="${PRM}", scope="todo:write"`,
    );
  });

  it('omits empty scope, empty description and adds realm last', () => {
    expect(
      buildChallenge({ error: 'invalid_token', errorDescription: '', scope: [], realm: 'mcp' }),
    ).toBe('Bearer error="invalid_token", realm="mcp"');
    expect(buildChallenge({})).toBe('Bearer');
  });

  it('removes quotes, backslashes, controls and non-ASCII rather than escaping them', () => {
    expect(
      buildChallenge({
        error: 'invalid_token',
        errorDescription: 'bad "token"\\ \u0000\r\nnaïve ✓',
      }),
    ).toBe('Bearer error="invalid_token", error_description="bad token nave"');
  });

  it('deduplicates scopes and drops invalid scope tokens', () => {
    expect(formatScope(['a', 'b', 'a', 'bad"', 'é', ''])).toBe('a b');
    expect(formatScope('a  b a')).toBe('a b');
    expect(formatScope(undefined)).toBe('');
  });
});

describe('parseChallenge', () => {
  it('parses quoted and token values with lower-cased names', () => {
    expect(parseChallenge('Bearer realm="x", Error=invalid_token, scope="a b"')).toEqual({
      scheme: 'Bearer',
      params: { realm: 'x', error: 'invalid_token', scope: 'a b' },
    });
  });

  it('unescapes quoted-pairs', () => {
    expect(parseChallenge('Bearer error_description="a \\"b\\" c"')?.params).toEqual({
      error_description: 'a "b" c',
    });
  });

  it('returns a bare scheme and stops at the next challenge', () => {
    expect(parseChallenge('Bearer')).toEqual({ scheme: 'Bearer', params: {} });
    expect(parseChallenge('Bearer realm="a", Basic realm="b"')).toEqual({
      scheme: 'Bearer',
      params: { realm: 'a' },
    });
  });

  it.each([
    ['empty', ''],
    ['repeated parameter', 'Bearer scope="a", scope="b"'],
    ['unterminated quote', 'Bearer scope="a'],
    ['missing comma', 'Bearer a="1" b="2"'],
    ['bad value', 'Bearer a=,'],
    ['no space after scheme', 'Bearer,a=1'],
    ['token68 only', 'Bearer abc'],
  ])('rejects %s', (_name, header) => {
    expect(parseChallenge(header)).toBeUndefined();
  });

  it('tolerates a trailing comma', () => {
    expect(parseChallenge('Bearer a="1",')?.params).toEqual({ a: '1' });
  });
});

describe('build/parse round trip (property)', () => {
  const scopeToken = fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,12}$/);

  it('parses back exactly the sanitised values, each parameter once', () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom('invalid_token', 'invalid_request', 'insufficient_scope'), {
          nil: undefined,
        }),
        fc.option(fc.string({ unit: 'binary', maxLength: 80 }), { nil: undefined }),
        fc.array(fc.oneof(scopeToken, fc.string({ maxLength: 6 })), { maxLength: 8 }),
        (error, description, scopes) => {
          const header = buildChallenge({
            ...(error === undefined ? {} : { error }),
            ...(description === undefined ? {} : { errorDescription: description }),
            resourceMetadata: PRM,
            scope: scopes,
          });
          expect(header.startsWith('Bearer ')).toBe(true);
          expect(header).not.toMatch(/\\/);
          expect(header).toMatch(/^[\x20-\x7e]+$/);
          const parsed = parseChallenge(header);
          expect(parsed?.scheme).toBe('Bearer');
          const expected: Record<string, string> = {};
          if (error !== undefined) expected.error = error;
          const cleanDescription = sanitizeChallengeValue(description ?? '');
          if (cleanDescription !== '') expected.error_description = cleanDescription;
          expected.resource_metadata = PRM;
          const scope = formatScope(scopes);
          if (scope !== '') expected.scope = scope;
          expect(parsed?.params).toEqual(expected);
          if (error === undefined) expect(parsed?.params).not.toHaveProperty('error');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any scope set survives the round trip as a deduplicated set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(scopeToken, { maxLength: 10 }), (scopes) => {
        const parsed = parseChallenge(buildChallenge({ scope: scopes }));
        const got = parsed?.params.scope?.split(' ') ?? [];
        expect(got).toEqual(scopes);
      }),
      { numRuns: 200 },
    );
  });
});
