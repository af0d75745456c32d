/**
 * Property-based fuzzing of challenge building and parsing (RFC 6750 §3, RFC 9728 §5.1, RFC
 * 9110 §11.6.1): every challenge `buildChallenge` makes from arbitrary (attacker-influenced)
 * values is a clean header line and parses back to exactly what was put in, after the
 * documented removal of what RFC 6750 forbids; `parseChallenge` never throws on arbitrary
 * input. Fixed seed and run budget.
 */
import { buildChallenge, type ChallengeParams, parseChallenge } from '@org/mcp-auth-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quotable } from '../src/expectations.js';
import { fuzzParameters } from '../src/fuzz.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const HEADER_LINE = /^[\x20-\x7e]*$/;

/** Text an attacker may get into a challenge: anything, with the dangerous characters likely. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc
    .array(
      fc.constantFrom(
        'a',
        ' ',
        '"',
        '\\',
        ',',
        '=',
        '\r',
        '\n',
        '\u0000',
        '\t',
        'é',
        '🔓',
        'x="y"',
      ),
      { maxLength: 20 },
    )
    .map((parts) => parts.join('')),
);

const scopeToken = fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,12}$/);
const scopeArb: fc.Arbitrary<string | string[]> = fc.oneof(
  fc.array(fc.oneof(scopeToken, hostileText), { maxLength: 8 }),
  fc.array(fc.oneof(scopeToken, hostileText), { maxLength: 8 }).map((list) => list.join(' ')),
);

const paramsArb: fc.Arbitrary<ChallengeParams> = fc.record(
  {
    error: fc.oneof(
      fc.constantFrom('invalid_token', 'invalid_request', 'insufficient_scope'),
      hostileText,
    ),
    errorDescription: hostileText,
    scope: scopeArb,
    resourceMetadata: fc.oneof(fc.webUrl({ withQueryParameters: true }), hostileText),
    realm: hostileText,
  },
  { requiredKeys: [] },
);

/** What the parameters must parse back to, written from RFC 6750 rather than from the core. */
function expectedParams(params: ChallengeParams): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    const clean = quotable(value);
    if (clean !== '') out[name] = clean;
  };
  put('error', params.error);
  put('error_description', params.errorDescription);
  put('resource_metadata', params.resourceMetadata);
  if (params.scope !== undefined) {
    const list = typeof params.scope === 'string' ? params.scope.split(' ') : params.scope;
    const scopes = [...new Set(list.filter((s) => SCOPE_TOKEN.test(s)))];
    if (scopes.length > 0) out.scope = scopes.join(' ');
  }
  put('realm', params.realm);
  return out;
}

describe('fuzz: WWW-Authenticate challenges', () => {
  it('every built challenge is one clean header line that parses back to its parameters', () => {
    fc.assert(
      fc.property(paramsArb, (params) => {
        const header = buildChallenge(params);
        expect(header).toMatch(HEADER_LINE);
        expect(header.startsWith('Bearer')).toBe(true);
        const expected = expectedParams(params);
        const parsed = parseChallenge(header); // undefined if a parameter were repeated
        expect(parsed).toEqual({ scheme: 'Bearer', params: expected });
        // error comes before error_description (RFC 6750 §3).
        const names = Object.keys(parsed?.params ?? {});
        if (names.includes('error_description') && names.includes('error')) {
          expect(names.indexOf('error')).toBeLessThan(names.indexOf('error_description'));
        }
      }),
      fuzzParameters(2_000),
    );
  });

  it('a built challenge followed by a DPoP challenge still parses to the Bearer parameters', () => {
    fc.assert(
      fc.property(paramsArb, (params) => {
        const header = `${buildChallenge(params)}, DPoP algs="ES256"`;
        const parsed = parseChallenge(header);
        const expected = expectedParams(params);
        // With no parameters the second scheme cannot be told from a token68: parsers stop.
        if (Object.keys(expected).length > 0) {
          expect(parsed).toEqual({ scheme: 'Bearer', params: expected });
        }
      }),
      fuzzParameters(500),
    );
  });

  it('parseChallenge never throws on arbitrary input and names only token parameters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc
            .array(
              fc.constantFrom('Bearer', ' ', 'a', '=', '"', '\\', ',', 'realm', 'b=c', '"x\\"y"'),
              { maxLength: 30 },
            )
            .map((parts) => parts.join('')),
        ),
        (header) => {
          const parsed = parseChallenge(header);
          if (parsed === undefined) return;
          expect(parsed.scheme).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          for (const name of Object.keys(parsed.params)) {
            expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
          }
        },
      ),
      fuzzParameters(2_000),
    );
  });
});
