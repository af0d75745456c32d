/**
 * Misspelt options must fail at construction (a `TypeError` naming the option), never be
 * ignored: a silently dropped `clockTolerence` or `jwksURI` leaves a server running with a
 * configuration its operator did not choose. In process, through the core and each adapter.
 */
import type { McpAuthOptions } from '@org/mcp-auth-core';
import { createJwtVerifier, createMcpAuth, createMultiIssuerVerifier } from '@org/mcp-auth-core';
import { mcpAuth as expressMcpAuth } from '@org/mcp-auth-express';
import { mcpAuth as fastifyMcpAuth } from '@org/mcp-auth-fastify';
import { mcpAuth as honoMcpAuth } from '@org/mcp-auth-hono';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

const BASE = { resource: 'http://127.0.0.1:3000/mcp', issuer: 'http://127.0.0.1:3001' };

const TYPOS = [
  {
    jwt: { clockTolerenceMs: 5_000 },
    message:
      'mcp-auth: option "jwt.clockTolerenceMs" is not a known option (did you mean "clockToleranceMs"?)',
  },
  {
    jwt: { jwksURI: 'http://127.0.0.1:3001/jwks' },
    message: 'mcp-auth: option "jwt.jwksURI" is not a known option (did you mean "jwksUri"?)',
  },
];

/** Constructs through every entry point; each must throw or reject with a TypeError. */
async function errorsOf(options: McpAuthOptions): Promise<unknown[]> {
  const errors: unknown[] = [];
  const attempt = async (build: () => unknown) => {
    try {
      await build();
      errors.push(undefined);
    } catch (error) {
      errors.push(error);
    }
  };
  await attempt(() => createMcpAuth(options));
  await attempt(() => expressMcpAuth(options));
  await attempt(() => honoMcpAuth(options));
  const app = Fastify();
  await attempt(async () => {
    await app.register(fastifyMcpAuth, options);
    await app.ready();
  });
  await app.close().catch(() => {});
  return errors;
}

describe('misspelt jwt options', () => {
  it.each(TYPOS)('$message', async ({ jwt, message }) => {
    // Finding 10: unknown keys in `jwt` were ignored, so the default applied silently.
    const errors = await errorsOf({ ...BASE, jwt } as McpAuthOptions);
    expect(errors).toHaveLength(4);
    for (const error of errors) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(message);
    }
  });

  it('names the misspelt option of an explicit verifier too', () => {
    // Finding 10: the same rule for verifiers built by hand.
    const resource = BASE.resource;
    expect(() =>
      createJwtVerifier({ issuer: BASE.issuer, resource, clockTolerenceMs: 5_000 } as never),
    ).toThrow(
      /option "clockTolerenceMs" is not a known option \(did you mean "clockToleranceMs"\?\)/,
    );
    expect(() =>
      createMultiIssuerVerifier({
        resource,
        issuers: [{ issuer: BASE.issuer, jwksURI: 'http://127.0.0.1:3001/jwks' } as never],
      }),
    ).toThrow(/option "issuers\[0\]\.jwksURI" is not a known option \(did you mean "jwksUri"\?\)/);
  });

  it('accepts the correct spellings (control)', async () => {
    // Finding 10, control.
    const errors = await errorsOf({
      ...BASE,
      jwt: { clockToleranceMs: 5_000, jwksUri: 'http://127.0.0.1:3001/jwks' },
    });
    expect(errors).toEqual([undefined, undefined, undefined, undefined]);
  });
});
