import type { SampleName } from '@org/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES, type Stack, startStack } from '../helpers.js';
import { CLIENT_NAMES, CLIENT_VERSIONS, type ClientName } from './clients.js';
import { printMatrix } from './flow.js';
import { clientFlow } from './flow-suite.js';

// The client matrix: three real MCP clients × the three samples, each through the whole flow —
// 401 → discovery → registration → consent → tools → 403 → step-up → the tool works, with the
// scopes accumulated — and, for mcp-remote, a restart from its stored tokens. The development
// authorization server runs in-process, each sample once; clients run one after another.
// Consent is the scripted form-poster (login as alice, every requested scope ticked).

const CLIENTS: readonly ClientName[] = process.env.MATRIX_CLIENTS
  ? CLIENT_NAMES.filter((name) => process.env.MATRIX_CLIENTS?.split(',').includes(name))
  : CLIENT_NAMES;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(SAMPLES);
});

afterAll(async () => {
  await stack?.stop();
  printMatrix('client matrix (scripted consent)');
});

describe.each(SAMPLES)('sample-%s', (sampleName: SampleName) => {
  describe.each(CLIENTS)('%s', (clientName) => {
    clientFlow({ sampleName, clientName, stack: () => stack });
  });
});

it('names each client version it ran', () => {
  for (const name of CLIENTS) expect(CLIENT_VERSIONS[name]).toMatch(/\d+\.\d+\.\d+$/);
});
