import { connect } from 'node:net';
import {
  type DriveAuthorizationResult,
  driveAuthorization,
} from '@org/mcp-auth-dev-authorization-server';

/**
 * The scripted user of the matrix: it fetches the authorization URL a client built, follows it
 * to the development authorization server's login page, posts the login form (alice/alice by
 * default) and the consent form with every listed scope ticked — the page lists exactly the
 * scopes the request asked for that are not granted yet — and ends at the redirect to the
 * client's callback. Field names are the pages' automation contract (see the dev authorization
 * server README); the posting itself is `driveAuthorization`.
 */
export interface ConsentOutcome {
  authorizationUrl: URL;
  /** `scope` of the authorization request, as the client sent it. */
  requestedScope: string;
  /** Scopes the consent page listed with a checkbox (undefined: no consent page was shown). */
  consentScopes: string[] | undefined;
  redirectUrl: URL;
  code: string;
  /** Status of the client's callback when the redirect was followed. */
  callbackStatus?: number;
  /** How long the callback port took to accept connections after the consent. */
  callbackWaitMs?: number;
  ms: number;
}

export interface FormPosterOptions {
  username?: string;
  /** Cookie jar shared across one client's consents, as one browser profile keeps it. */
  cookies: Map<string, string>;
  /**
   * Follow the redirect to the client's callback listener (mcp-remote) after waiting until its
   * port accepts connections. Default `false`: the code is handed to the client directly.
   */
  followToCallback?: boolean;
  callbackTimeoutMs?: number;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Resolves once `url`'s port accepts a TCP connection; throws after `timeoutMs`. */
export async function waitForListener(url: URL, timeoutMs: number): Promise<number> {
  const start = Date.now();
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  while (!(await accepts(host, port))) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`nothing listens on ${url.host} after ${timeoutMs} ms`);
    }
    await delay(50);
  }
  return Date.now() - start;
}

/** Log in and consent for `authorizationUrl`, then (optionally) deliver the code. */
export async function postConsent(
  authorizationUrl: URL,
  options: FormPosterOptions,
): Promise<ConsentOutcome> {
  const start = Date.now();
  const result: DriveAuthorizationResult = await driveAuthorization(authorizationUrl, {
    username: options.username ?? 'alice',
    cookies: options.cookies,
  });
  if (!result.code) {
    throw new Error(
      `the authorization ended without a code: ${result.error ?? '?'} ${result.errorDescription ?? ''}`,
    );
  }
  const outcome: ConsentOutcome = {
    authorizationUrl,
    requestedScope: authorizationUrl.searchParams.get('scope') ?? '',
    consentScopes: result.consentScopes,
    redirectUrl: result.redirectUrl,
    code: result.code,
    ms: 0,
  };
  if (options.followToCallback) {
    outcome.callbackWaitMs = await waitForListener(
      result.redirectUrl,
      options.callbackTimeoutMs ?? 15_000,
    );
    const response = await fetch(result.redirectUrl, { redirect: 'manual' });
    await response.body?.cancel();
    outcome.callbackStatus = response.status;
  }
  outcome.ms = Date.now() - start;
  return outcome;
}
