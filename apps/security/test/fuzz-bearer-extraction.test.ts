/**
 * Property-based fuzzing of bearer extraction (RFC 6750 §2.1, RFC 7235 §2.1 token68), where
 * the untrusted `Authorization` header meets the parser: it never throws, only ever returns a
 * token that is in the header and matches token68, within the size limit, never echoes input in
 * its error descriptions, and finds every well-formed token. Fixed seed and run budget.
 */
import { extractBearerToken, type HeadersInit } from '@org/mcp-auth-core';

/** The documented default of `maxLength` / `maxTokenLength`. */
const DEFAULT_MAX_TOKEN_LENGTH = 8192;
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParameters } from '../src/fuzz.js';

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const TOKEN68_CHARS = [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/',
] as const;
/** The only error descriptions extraction may give: fixed text, never a piece of the input. */
const DESCRIPTIONS = new Set([
  'Multiple Authorization headers',
  'Multiple Authorization credentials',
  'Malformed Authorization header',
  'Empty bearer token',
  'Bearer token too long',
  'Malformed bearer token',
  'Bearer token sent more than one way',
]);

const token68 = fc
  .tuple(
    fc.array(fc.constantFrom(...TOKEN68_CHARS), { minLength: 1, maxLength: 120 }),
    fc.constantFrom('', '=', '=='),
  )
  .map(([chars, padding]) => chars.join('') + padding);

/** Header values near the grammar: schemes, separators and token characters mixed with noise. */
const nearlyValid = fc
  .tuple(
    fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr', 'Basic', 'DPoP', 'Bearerx', ''),
    fc.constantFrom(' ', '  ', '\t', '', ' \t', ':', ' , '),
    fc.oneof(
      token68,
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom('a,b', 'a b', '"a"', 'a=b', '=', 'a\u0000', ', Bearer x', 'a;b'),
    ),
    fc.constantFrom('', ' ', '\t', ', Bearer other', ',', ' x'),
  )
  .map(([scheme, separator, token, tail]) => `${scheme}${separator}${token}${tail}`);

const headerValue = fc.oneof(
  { weight: 4, arbitrary: nearlyValid },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 200 }) },
);

/** The same values, delivered the ways frameworks deliver headers. */
type Shape = 'record' | 'array' | 'pairs' | 'headers';
function deliver(values: string[], shape: Shape, upper: boolean): HeadersInit {
  const name = upper ? 'Authorization' : 'authorization';
  if (shape === 'record') return values.length === 0 ? {} : { [name]: values[0] };
  if (shape === 'array') return { [name]: values };
  if (shape === 'pairs') return values.map((v) => [name, v] as const);
  const headers = new Headers();
  for (const v of values) {
    try {
      headers.append(name, v);
    } catch {
      // A value a Web Headers object refuses cannot reach the core through one.
    }
  }
  return headers;
}

/** The values the core actually sees for a shape (a Web Headers joins and trims). */
function seen(values: string[], shape: Shape, headers: HeadersInit): string[] {
  if (shape === 'record') return values.slice(0, 1);
  if (shape === 'headers') {
    const joined = (headers as Headers).get('authorization');
    return joined === null ? [] : [joined];
  }
  return values;
}

const requestArb = fc.record({
  values: fc.array(headerValue, { minLength: 0, maxLength: 3 }),
  shape: fc.constantFrom<Shape>('record', 'array', 'pairs', 'headers'),
  upper: fc.boolean(),
  url: fc.option(
    fc.constantFrom(
      '/mcp',
      '/mcp?x=1',
      '/mcp?access_token=abc',
      '/mcp?a=1&access_token=',
      '/mcp#access_token=abc',
      'https://mcp.example/mcp?access_token=abc',
    ),
    { nil: undefined },
  ),
  body: fc.option(
    fc.oneof(
      fc.constant<unknown>({ access_token: 'abc' }),
      fc.constant<unknown>('access_token=abc'),
      fc.constant<unknown>({ jsonrpc: '2.0', access_token: 'abc' }),
      fc.jsonValue(),
    ),
    { nil: undefined },
  ),
  maxLength: fc.option(fc.integer({ min: 1, max: 150 }), { nil: undefined }),
});

describe('fuzz: bearer extraction', () => {
  it('never throws, and a token it returns is in the one header, token68, within the limit', () => {
    fc.assert(
      fc.property(requestArb, ({ values, shape, upper, url, body, maxLength }) => {
        const headers = deliver(values, shape, upper);
        const result = extractBearerToken(
          {
            headers,
            ...(url === undefined ? {} : { url }),
            ...(body === undefined ? {} : { body }),
          },
          maxLength === undefined ? {} : { maxLength },
        );
        const values_ = seen(values, shape, headers);
        switch (result.kind) {
          case 'none':
            return;
          case 'invalid':
            expect(DESCRIPTIONS.has(result.description), result.description).toBe(true);
            return;
          case 'token': {
            expect(result.token).toMatch(TOKEN68);
            expect(result.token.length).toBeLessThanOrEqual(maxLength ?? DEFAULT_MAX_TOKEN_LENGTH);
            expect(values_).toHaveLength(1);
            const value = values_[0]!.replace(/^[ \t]+|[ \t]+$/g, '');
            const match = /^bearer +(.+)$/i.exec(value);
            expect(match?.[1]).toBe(result.token);
            return;
          }
          default:
            throw new Error(`unexpected result ${JSON.stringify(result)}`);
        }
      }),
      fuzzParameters(3_000),
    );
  });

  it('returns every well-formed token exactly (no false refusals)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
        fc.integer({ min: 1, max: 4 }),
        token68,
        fc.constantFrom<Shape>('record', 'array', 'pairs', 'headers'),
        (scheme, spaces, token, shape) => {
          const headers = deliver([`${scheme}${' '.repeat(spaces)}${token}`], shape, false);
          expect(
            extractBearerToken({ headers, url: '/mcp?x=1', body: { jsonrpc: '2.0' } }),
          ).toEqual({
            kind: 'token',
            token,
          });
        },
      ),
      fuzzParameters(1_000),
    );
  });

  it('treats any other scheme as no credentials, and never as a token', () => {
    fc.assert(
      fc.property(
        fc
          .stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/)
          .filter((s) => s.toLowerCase() !== 'bearer'),
        token68,
        (scheme, token) => {
          const result = extractBearerToken({ headers: { authorization: `${scheme} ${token}` } });
          expect(result).toEqual({ kind: 'none' });
        },
      ),
      fuzzParameters(1_000),
    );
  });

  it('refuses a header token also sent as access_token in the query or a form body', () => {
    fc.assert(
      fc.property(
        token68,
        fc.constantFrom(
          { url: '/mcp?access_token=x' },
          { url: '/mcp?a=b&access_token=' },
          { body: 'access_token=x' },
          { body: { access_token: 'x' } },
          { body: new URLSearchParams('access_token=x') },
        ),
        (token, other) => {
          const result = extractBearerToken({
            headers: { authorization: `Bearer ${token}` },
            ...other,
          });
          expect(result).toEqual({
            kind: 'invalid',
            description: 'Bearer token sent more than one way',
          });
        },
      ),
      fuzzParameters(500),
    );
  });
});
