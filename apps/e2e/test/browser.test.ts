import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  callToolWithOAuth,
  connectWithOAuth,
  InMemoryOAuthClientProvider,
  type RunningSample,
  toolText,
} from '@org/demo';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, type Stack, startStack } from './helpers.js';

// The human path: the authorization URL the SDK client builds is opened in headless Debian
// chromium, the login and consent pages are used by clicks, and the redirect to a loopback
// callback served here carries the code back to the client.

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Callback {
  server: Server;
  redirectUrl: string;
  /** Resolves with the query of the next request to `/callback`. */
  next(): Promise<URLSearchParams>;
}

async function startCallbackServer(): Promise<Callback> {
  let waiting: ((query: URLSearchParams) => void) | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Signed in</title><p id="done">You can close this window.</p>');
    waiting?.(url.searchParams);
    waiting = undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    redirectUrl: `http://127.0.0.1:${port}/callback`,
    next: () =>
      new Promise((resolve) => {
        waiting = resolve;
      }),
  };
}

describe('browser: login and consent by clicks (headless chromium)', () => {
  let stack: Stack;
  let sample: RunningSample;
  let callback: Callback;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: the browser test drives Debian chromium. Install it with ` +
          '`apt-get install -y chromium` (.ci/run does this on CI).',
      );
    }
    profile = await mkdtemp(join(tmpdir(), 'mcp-auth-e2e-chromium-'));
    // A fresh profile per run; the browser starts while the servers do.
    [stack, callback, context] = await Promise.all([
      startStack(['express']),
      startCallbackServer(),
      chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
      }),
    ]);
    sample = stack.samples.express;
  });

  afterAll(async () => {
    await context?.close();
    await stack?.stop();
    await new Promise((resolve) => callback?.server.close(resolve));
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('signs in, consents to the least-privilege scope the 401 named, and the client calls a tool with the token', async () => {
    const page = await context.newPage();
    const seen: { consentScopes: string[]; resources: string; notice: boolean } = {
      consentScopes: [],
      resources: '',
      notice: false,
    };

    const provider = new InMemoryOAuthClientProvider({
      redirectUrl: callback.redirectUrl,
      clientName: 'e2e browser client',
      authorize: async (authorizationUrl) => {
        const redirected = callback.next();
        await page.goto(authorizationUrl.href);

        await page.waitForSelector('form#login-form');
        seen.notice = await page.isVisible('#dev-notice');
        await page.fill('input[name="username"]', 'alice');
        await page.fill('input[name="password"]', 'alice');
        await page.click('#login');

        await page.waitForSelector('form#consent-form');
        seen.consentScopes = await page.$$eval('input[name="scope"]', (inputs) =>
          inputs.map((input) => (input as HTMLInputElement).value),
        );
        seen.resources = (await page.textContent('#resources')) ?? '';
        await page.click('#approve');

        const query = await redirected;
        await page.waitForSelector('#done');
        expect(new URL(page.url()).origin).toBe(new URL(callback.redirectUrl).origin);
        expect(query.get('state')).toBe(provider.lastState);
        expect(query.get('error')).toBeNull();
        return query.get('code') ?? '';
      },
    });

    const session = await connectWithOAuth({ url: sample.resource, provider });
    try {
      expect(seen.notice).toBe(true);
      // The sample's 401 names its initialScopes: the page asks for todo:read alone.
      expect(seen.consentScopes).toEqual(['todo:read']);
      expect(seen.resources).toContain(sample.resource);

      const token = provider.tokens()?.access_token ?? '';
      const { header, claims } = decode(token);
      expect(header.typ).toBe('at+jwt');
      expect(claims.aud).toBe(sample.resource);
      expect(claims.sub).toBe('alice');
      expect(String(claims.scope).split(' ')).toEqual(['todo:read']);

      const whoami = await callToolWithOAuth(session, 'whoami');
      expect(whoami.isError).toBeFalsy();
      expect(toolText(whoami)).toContain('alice');
      const todos = await callToolWithOAuth(session, 'list_todos');
      expect(todos.isError).toBeFalsy();
    } finally {
      await session.client.close();
      await page.close();
    }
  });
});
