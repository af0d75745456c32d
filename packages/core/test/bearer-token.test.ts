import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TOKEN_LENGTH, extractBearerToken } from '../src/bearer-token.js';

const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln-_~+/=';
const x = (headers: Record<string, string | string[]>, url?: string, body?: unknown) =>
  extractBearerToken({ headers, ...(url === undefined ? {} : { url }), body });

describe('extractBearerToken (RFC 6750 §2.1)', () => {
  it('accepts the Bearer scheme in any case and one or more spaces', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect(x({ authorization: `${scheme} ${token}` })).toEqual({ kind: 'token', token });
    }
    expect(x({ authorization: `Bearer    ${token}` })).toEqual({ kind: 'token', token });
    expect(x({ Authorization: ` Bearer ${token} ` })).toEqual({ kind: 'token', token });
  });

  it('reports no credentials without a header, with an empty header or another scheme', () => {
    expect(x({})).toEqual({ kind: 'none' });
    expect(x({ authorization: '' })).toEqual({ kind: 'none' });
    expect(x({ authorization: 'Basic dXNlcjpwYXNz' })).toEqual({ kind: 'none' });
    expect(x({ authorization: 'DPoP abc' })).toEqual({ kind: 'none' });
    expect(x({ authorization: 'Digest username="a", realm="b"' })).toEqual({ kind: 'none' });
  });

  it('never takes a token from the query string or form body', () => {
    expect(x({}, `/mcp?access_token=${token}`)).toEqual({ kind: 'none' });
    expect(x({}, '/mcp', { access_token: token })).toEqual({ kind: 'none' });
    expect(x({}, '/mcp', new URLSearchParams({ access_token: token }))).toEqual({ kind: 'none' });
    expect(x({}, '/mcp', `access_token=${token}`)).toEqual({ kind: 'none' });
  });

  it.each([
    ['empty', 'Bearer', 'Empty bearer token'],
    ['only spaces', 'Bearer    ', 'Empty bearer token'],
    ['tab separator', `Bearer\t${token}`, 'Malformed Authorization header'],
    ['bad characters', 'Bearer abc$def', 'Malformed bearer token'],
    ['inner space', 'Bearer abc def', 'Malformed bearer token'],
    ['= not at the end', 'Bearer ab=c', 'Malformed bearer token'],
    ['non-ASCII', 'Bearer abcé', 'Malformed bearer token'],
    ['comma-joined Bearer', `Bearer ${token}, Bearer other`, 'Multiple Authorization credentials'],
    [
      'comma-joined behind another scheme',
      `Basic abc, Bearer ${token}`,
      'Multiple Authorization credentials',
    ],
    ['not a scheme', '=abc', 'Malformed Authorization header'],
  ])('rejects %s as invalid_request', (_name, authorization, description) => {
    expect(x({ authorization })).toEqual({ kind: 'invalid', description });
  });

  it('rejects two Authorization headers', () => {
    expect(x({ authorization: [`Bearer ${token}`, `Bearer ${token}`] })).toEqual({
      kind: 'invalid',
      description: 'Multiple Authorization headers',
    });
  });

  it('rejects a comma-joined Web Headers value', () => {
    const headers = new Headers();
    headers.append('authorization', `Bearer ${token}`);
    headers.append('authorization', 'Bearer second');
    expect(extractBearerToken({ headers })).toEqual({
      kind: 'invalid',
      description: 'Multiple Authorization credentials',
    });
  });

  it('enforces the size limit (default 8 KiB, configurable)', () => {
    expect(DEFAULT_MAX_TOKEN_LENGTH).toBe(8192);
    expect(x({ authorization: `Bearer ${'a'.repeat(8192)}` }).kind).toBe('token');
    expect(x({ authorization: `Bearer ${'a'.repeat(8193)}` })).toEqual({
      kind: 'invalid',
      description: 'Bearer token too long',
    });
    expect(
      extractBearerToken({ headers: { authorization: 'Bearer abcdef' } }, { maxLength: 5 }).kind,
    ).toBe('invalid');
  });

  it('rejects a header token also sent in the query or form body', () => {
    const authorization = `Bearer ${token}`;
    const dup = { kind: 'invalid', description: 'Bearer token sent more than one way' };
    expect(x({ authorization }, '/mcp?a=1&access_token=x')).toEqual(dup);
    expect(x({ authorization }, 'https://mcp.example/mcp?access_token=x#f')).toEqual(dup);
    expect(
      extractBearerToken({
        headers: { authorization },
        url: new URL('https://m.example/?access_token=1'),
      }),
    ).toEqual(dup);
    expect(x({ authorization }, '/mcp', { access_token: 'x' })).toEqual(dup);
    expect(x({ authorization }, '/mcp', new URLSearchParams('access_token=x'))).toEqual(dup);
    expect(x({ authorization }, '/mcp', 'a=1&access_token=x')).toEqual(dup);
  });

  it('decodes before looking: a percent-encoded access_token is the same parameter', () => {
    const authorization = `Bearer ${token}`;
    const dup = { kind: 'invalid', description: 'Bearer token sent more than one way' };
    expect(x({ authorization }, '/mcp?acc%65ss_token=x')).toEqual(dup);
    expect(x({ authorization }, '/mcp?%61ccess%5Ftoken=x&b=2')).toEqual(dup);
    expect(x({ authorization }, '/mcp', 'acc%65ss_token=x')).toEqual(dup);
    expect(x({ authorization }, '/mcp?q=%41').kind).toBe('token');
  });

  it('does not mistake similar query parameters or JSON bodies for a second token', () => {
    const authorization = `Bearer ${token}`;
    expect(x({ authorization }, '/mcp?my_access_token_hint=1').kind).toBe('token');
    expect(x({ authorization }, '/mcp#access_token=1').kind).toBe('token');
    expect(x({ authorization }, new URL('https://m.example/mcp').href).kind).toBe('token');
    expect(x({ authorization }, '/mcp', '{"jsonrpc":"2.0","access_token":"x"}').kind).toBe('token');
    expect(x({ authorization }, '/mcp', { jsonrpc: '2.0', access_token: 'x' }).kind).toBe('token');
    expect(x({ authorization }, '/mcp', [{ access_token: 'x' }]).kind).toBe('token');
    expect(x({ authorization }, '/mcp', 42).kind).toBe('token');
    expect(x({ authorization }, '/mcp', null).kind).toBe('token');
  });
});

describe('extractBearerToken (properties)', () => {
  const token68 = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,64}=*$/);

  it('any token68 value behind Bearer and 1+ spaces is extracted unchanged', () => {
    fc.assert(
      fc.property(
        token68,
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('Bearer', 'bearer', 'BEARER'),
        (token, spaces, scheme) => {
          const result = extractBearerToken({
            headers: { authorization: `${scheme}${' '.repeat(spaces)}${token}` },
          });
          expect(result).toEqual({ kind: 'token', token });
        },
      ),
    );
  });

  it('a value with any character outside token68 is never accepted', () => {
    fc.assert(
      fc.property(
        token68,
        fc
          .string({ unit: 'binary', minLength: 1, maxLength: 3 })
          .filter((c) => /[^A-Za-z0-9\-._~+/=]/.test(c.trim())),
        (token, bad) => {
          const result = extractBearerToken({
            headers: { authorization: `Bearer ${token}${bad}x` },
          });
          expect(result.kind).toBe('invalid');
        },
      ),
    );
  });
});

describe('extractBearerToken stays linear on hand-built values', () => {
  const KB16 = 16 * 1024;
  const MB = 1024 * 1024;

  /**
   * Runs `fn` once to warm up, then returns its result and the fastest of three timed runs (the
   * fastest, so a busy machine or a garbage collection does not fail a linear-time check).
   */
  function timed<T>(fn: () => T): { result: T; ms: number } {
    let result = fn();
    let ms = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      result = fn();
      ms = Math.min(ms, performance.now() - start);
    }
    return { result, ms };
  }

  // Long runs of inner spaces and tabs with outer whitespace: a trimming regex such as
  // /[ \t]+$/ restarts at every inner space (quadratic; ~270 ms for 16 KB before).
  const inner = (n: number) => `Bearer${' \t'.repeat(n / 2)}x `;
  const spacedToken = (n: number) => `Bearer a${' '.repeat(n)}b\t`;
  const outer = (n: number) => `${' '.repeat(n / 2)}Bearer ${token}${'\t'.repeat(n / 2)}`;
  const joined = (n: number) => `Basic ${',\t '.repeat(n / 3)}beare`;
  const equals = (n: number) => `Bearer ${'a'.repeat(n / 2)}${'='.repeat(n / 2)}a`;

  it.each([
    ['inner spaces and tabs', inner, { kind: 'invalid', description: 'Malformed bearer token' }],
    [
      'spaces inside the token',
      spacedToken,
      { kind: 'invalid', description: 'Malformed bearer token' },
    ],
    ['outer whitespace around a token', outer, { kind: 'token', token }],
    ['comma-joined near misses', joined, { kind: 'none' }],
    [
      'padding inside the token',
      equals,
      { kind: 'invalid', description: 'Malformed bearer token' },
    ],
  ] as const)(
    '%s: 16 KB and 1 MB give the right answer, 1 MB in linear time',
    (_name, build, expected) => {
      for (const size of [KB16, MB]) {
        const headers = { authorization: build(size) };
        const { result, ms } = timed(() => extractBearerToken({ headers }, { maxLength: 2 * MB }));
        expect(result).toEqual(expected);
        // A guard against quadratic work, not a speed goal: linear takes a few ms for 1 MB, the
        // quadratic trim took ~270 ms at 16 KB and so minutes at 1 MB. The bound leaves room for
        // a loaded CI machine.
        if (size === MB) expect(ms).toBeLessThan(1000);
      }
    },
  );

  it('a 1 MB value is still refused by the default size limit, quickly', () => {
    const headers = { authorization: `Bearer ${'a'.repeat(MB)}` };
    const { result, ms } = timed(() => extractBearerToken({ headers }));
    expect(result).toEqual({ kind: 'invalid', description: 'Bearer token too long' });
    expect(ms).toBeLessThan(1000);
  });
});
