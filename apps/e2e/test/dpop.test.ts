import { parseDemoArgs, runDemo, SAMPLE_NAMES } from '@org/demo';
import { describe, expect, it } from 'vitest';

// `pnpm demo -- --dpop`: the development authorization server binds tokens to the client's key
// (RFC 9449), each sample runs with MCP_AUTH_DPOP=allowed, the MCP SDK 1.x client (which has no
// DPoP of its own) signs a proof per request in its fetch, and the stolen token is refused.

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/;

describe.each(SAMPLE_NAMES)('pnpm demo --dpop (sample-%s)', (sample) => {
  it('walks the flow with DPoP-bound tokens, and a stolen token is refused without its key', async () => {
    let output = '';
    const result = await runDemo({
      sample,
      dpop: true,
      write: (text) => {
        output += text;
      },
    });
    expect(result.milestones).toEqual([
      '401 challenge',
      'protected resource metadata',
      'authorization server metadata',
      'dynamic registration',
      'authorization request',
      'login and consent',
      'DPoP-bound token',
      'access token',
      'tool call',
      '403 insufficient_scope',
      'step-up consent',
      'step-up token',
      'step-up tool call',
      'stolen token refused',
    ]);
    // Bearer stays the first challenge (SDK 1.x clients read only that); DPoP follows.
    expect(output).toMatch(
      /WWW-Authenticate: Bearer resource_metadata="[^"]+", scope="todo:read", DPoP resource_metadata="[^"]+", scope="todo:read", algs="ES256 ES384 RS256 PS256 EdDSA"/,
    );
    expect(output).toContain('token_type: DPoP');
    expect(output).toMatch(/"cnf": \{\n\s+"jkt": "[\w-]{43}"/);
    // The step-up still works with DPoP: the 403 is on the DPoP challenge the request used.
    expect(output).toMatch(/DPoP error="insufficient_scope"/);
    expect(output).toContain(
      'as a Bearer token: 401 invalid_token: A DPoP-bound access token must be sent with the DPoP scheme and a DPoP proof',
    );
    expect(output).toContain(
      "with a proof signed by the thief's own key: 401 invalid_token: The DPoP proof key does not match the access token binding",
    );
    expect(output).toContain(
      "with a proof captured from the client's last request: 401 invalid_dpop_proof: DPoP proof has already been used",
    );
    expect(output).toContain('All 14 checks passed.');
    expect(output).not.toMatch(JWT);
  });
});

describe('pnpm demo --dpop: the flag', () => {
  it('is parsed, and takes no value', () => {
    expect(parseDemoArgs(['--dpop', '--sample', 'hono'])).toEqual({
      sample: 'hono',
      username: 'alice',
      verbose: false,
      help: false,
      dpop: true,
    });
    expect(parseDemoArgs([]).dpop).toBeUndefined();
    expect(() => parseDemoArgs(['--dpop=yes'])).toThrow(/unknown argument --dpop=yes/);
  });
});
