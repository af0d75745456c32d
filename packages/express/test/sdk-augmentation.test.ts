// The MCP SDK's own Express helpers augment `express-serve-static-core`'s Request with
// `auth?: AuthInfo` (its type); this package augments `Express.Request`. Both in one program
// must agree, which this file proves by compiling.
import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type {} from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import express from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import type { AuthInfo } from '../src/index.js';

describe('types with the MCP SDK augmentation loaded', () => {
  it('req.auth stays assignable both ways', () => {
    express().get('/', (req) => {
      expectTypeOf(req.auth).toExtend<SdkAuthInfo | undefined>();
      expectTypeOf(req.auth).toExtend<AuthInfo | undefined>();
    });
    expectTypeOf<AuthInfo>().toExtend<SdkAuthInfo>();
  });
});
