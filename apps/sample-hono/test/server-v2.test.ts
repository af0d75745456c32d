import { fileURLToPath } from 'node:url';
import { describeSampleContract, describeSampleV2Contract } from '@org/mcp-auth-conformance/sample';
import { readConfig } from '../src/config.js';
import { startServer } from '../src/v2/app.js';

// The MCP SDK v2 entry (src/v2) keeps the same sample contract as the v1 entry (the v1 client
// negotiates 2025-era sessions with it), and adds what 2026-07-28 and MCP_STATELESS=1 bring.
describeSampleContract({
  name: 'sample-hono (MCP SDK v2)',
  appDir: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'src/v2/main.ts',
  startServer,
  readConfig,
});
describeSampleV2Contract({ name: 'sample-hono (MCP SDK v2)', startServer });
