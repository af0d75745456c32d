import { describe, expect, it } from 'vitest';
import { ChallengeSyntaxError, parseWwwAuthenticate } from '../src/index.js';

// RFC 9110 §11.6.1 / RFC 6750 §3 vectors for the challenge parser the checks use.
describe('parseWwwAuthenticate', () => {
  it('reads a Bearer challenge with quoted params, names lower-cased', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer Resource_Metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="todo:read todo:write"',
      ),
    ).toEqual([
      {
        scheme: 'Bearer',
        params: {
          resource_metadata: 'https://mcp.example/.well-known/oauth-protected-resource/mcp',
          scope: 'todo:read todo:write',
        },
        quoted: ['resource_metadata', 'scope'],
        escaped: [],
      },
    ]);
  });

  it('reads several challenges in one value, with token values and token68', () => {
    const challenges = parseWwwAuthenticate(
      'Basic realm="x", charset=UTF-8, Negotiate, Bearer error=invalid_token ,  scope="a" ,DPoP algs="ES256", Custom abc+/def==',
    );
    expect(challenges.map((c) => c.scheme)).toEqual([
      'Basic',
      'Negotiate',
      'Bearer',
      'DPoP',
      'Custom',
    ]);
    expect(challenges[0]!.params).toEqual({ realm: 'x', charset: 'UTF-8' });
    expect(challenges[1]!.params).toEqual({});
    expect(challenges[2]!.params).toEqual({ error: 'invalid_token', scope: 'a' });
    expect(challenges[2]!.quoted).toEqual(['scope']);
    expect(challenges[4]!.token68).toBe('abc+/def==');
  });

  it('unescapes quoted-pairs and records that it did', () => {
    const [challenge] = parseWwwAuthenticate('Bearer realm="a \\"quoted\\" \\\\ value"');
    expect(challenge!.params.realm).toBe('a "quoted" \\ value');
    expect(challenge!.escaped).toEqual(['realm']);
  });

  it('allows whitespace around "=" and empty list elements', () => {
    const [challenge] = parseWwwAuthenticate(', Bearer  scope = "a b" , , error="x",');
    expect(challenge!.params).toEqual({ scope: 'a b', error: 'x' });
  });

  it('tells a token68 ending in "=" from an auth-param', () => {
    const [first, second] = parseWwwAuthenticate('Basic dXNlcg==, Bearer realm="r"');
    expect(first!.token68).toBe('dXNlcg==');
    expect(second!.params).toEqual({ realm: 'r' });
  });

  it.each([
    ['Bearer realm="unterminated', /unterminated quoted-string/],
    ['Bearer realm=, scope="a"', /expected a space after the auth-scheme "scope"/],
    ['Bearer realm="a" scope="b"', /expected "," between auth-params/],
    ['Bearer scope="a", scope="b"', /"scope" appears twice/],
    ['"Bearer"', /expected an auth-scheme/],
    ['Bearer realm="a\u0001"', /U\+0001 is not allowed/],
    ['Bearer realm="a\\', /invalid quoted-pair/],
    ['Bearer;realm="a"', /expected a space after the auth-scheme/],
  ])('refuses %j', (value, message) => {
    expect(() => parseWwwAuthenticate(value)).toThrow(message);
    expect(() => parseWwwAuthenticate(value)).toThrow(ChallengeSyntaxError);
  });

  it('returns no challenge for an empty value, and bare schemes for a list of names', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('Bearer, realm').map((c) => c.scheme)).toEqual(['Bearer', 'realm']);
  });
});
