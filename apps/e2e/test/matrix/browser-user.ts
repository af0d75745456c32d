import type { BrowserContext } from 'playwright-core';
import type { Authorize } from './clients.js';
import { type ConsentOutcome, waitForListener } from './form-poster.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A person in headless chromium: opens the authorization URL, signs in (when the browser is
 * not signed in yet), leaves the requested scopes ticked and clicks Approve, by the pages'
 * automation contract. A client with a callback listener (mcp-remote) gets the real redirect
 * once its port accepts connections; for the in-process SDK clients the redirect to their
 * registered (unserved) callback is read from the browser's request to it.
 */
export function browserUser(context: BrowserContext, username = 'alice'): Authorize {
  return async (url, { followToCallback }) => {
    const start = Date.now();
    const page = await context.newPage();
    try {
      const redirectUri = new URL(url.searchParams.get('redirect_uri') ?? '');
      await page.goto(url.href);
      await page.waitForSelector('form#login-form, form#consent-form');
      if (await page.$('form#login-form')) {
        await page.fill('input[name="username"]', username);
        await page.fill('input[name="password"]', username);
        await page.click('#login');
        await page.waitForSelector('form#consent-form');
      }
      const consentScopes = await page.$$eval('input[name="scope"]', (inputs) =>
        inputs.map((input) => (input as HTMLInputElement).value),
      );
      let callbackWaitMs: number | undefined;
      if (followToCallback) callbackWaitMs = await waitForListener(redirectUri, 15_000);
      // The browser's request to the callback carries the code, whether or not anything
      // answers it (the in-process SDK clients take the code from there, as their host would).
      const toCallback = page.waitForRequest((r) => r.url().startsWith(`${redirectUri.origin}/`), {
        timeout: 15_000,
      });
      const [request] = await Promise.all([toCallback, page.click('#approve')]);
      const final = new URL(request.url());
      if (followToCallback) {
        await page.waitForURL((u) => u.origin === redirectUri.origin, { timeout: 15_000 });
      }
      const code = final.searchParams.get('code');
      if (!code) {
        throw new Error(
          `the authorization ended without a code: ${final.searchParams.get('error')}`,
        );
      }
      const outcome: ConsentOutcome = {
        authorizationUrl: url,
        requestedScope: url.searchParams.get('scope') ?? '',
        consentScopes,
        redirectUrl: final,
        code,
        ms: Date.now() - start,
      };
      if (followToCallback) {
        outcome.callbackWaitMs = callbackWaitMs;
        outcome.callbackStatus = (await page.textContent('body'))?.includes('successful') ? 200 : 0;
      }
      return outcome;
    } finally {
      await page.close();
    }
  };
}
