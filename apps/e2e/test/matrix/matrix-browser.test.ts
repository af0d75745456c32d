import { existsSync } from 'node:fs';
import type { SampleName } from '@org/demo';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { type Stack, startStack } from '../helpers.js';
import { browserUser, CHROMIUM, CHROMIUM_ARGS } from './browser-user.js';
import type { ClientName } from './clients.js';
import { printMatrix } from './flow.js';
import { clientFlow } from './flow-suite.js';

// The matrix's human path: each client once, the login and consent pages clicked in headless
// Debian chromium (a fresh browser context — a fresh profile — per client), each client on
// another sample.

const RUNS: readonly [ClientName, SampleName][] = [
  ['sdk-v1', 'express'],
  ['sdk-v2', 'fastify'],
  ['mcp-remote', 'hono'],
];

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the matrix's browser runs drive Debian chromium. Install it with ` +
        '`apt-get install -y chromium` (.ci/run does this on CI).',
    );
  }
  [stack, browser] = await Promise.all([
    startStack(
      RUNS.map(([, sample]) => sample),
      // These runs also show the samples' opt-in list filter: tools appear with their scope.
      { env: { MCP_HIDE_UNAUTHORIZED_TOOLS: '1' } },
    ),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  printMatrix('client matrix (chromium consent)');
});

describe.each(RUNS)('%s on sample-%s, consent in chromium', (clientName, sampleName) => {
  let context: BrowserContext | undefined;
  afterAll(async () => {
    await context?.close();
  });
  clientFlow({
    hideUnauthorizedTools: true,
    sampleName,
    clientName,
    stack: () => stack,
    authorize: () => {
      const lazy: { user?: ReturnType<typeof browserUser> } = {};
      return async (url, options) => {
        context ??= await browser.newContext();
        lazy.user ??= browserUser(context);
        return lazy.user(url, options);
      };
    },
  });
});
