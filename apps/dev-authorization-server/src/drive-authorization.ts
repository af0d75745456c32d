/**
 * Follow an authorization request through the development server the way a browser would —
 * redirects, cookies, the login form and the consent form — with plain `fetch`. Handy for
 * scripted clients and tests that have no browser.
 */

/**
 * Options of {@link driveAuthorization}.
 *
 * @example
 * ```ts
 * const options: DriveAuthorizationOptions = { username: 'bob', grantScopes: ['todo:read'] };
 * ```
 */
export interface DriveAuthorizationOptions {
  /** Username for the login form (ignored in auto-approve mode). Default `'alice'`. */
  username?: string;
  /** Password for the login form. Default: same as the username. */
  password?: string;
  /**
   * Scopes to leave ticked on the consent page; the others are unticked. Default: every
   * requested scope.
   */
  grantScopes?: string[];
  /** Press Deny on the consent page. Default `false`. */
  deny?: boolean;
  /** Cookie jar to reuse a signed-in session across calls. Default: a fresh one. */
  cookies?: Map<string, string>;
  /** `fetch` to use. Default: the global one. */
  fetch?: typeof fetch;
  /** Upper bound on requests made. Default `20`. */
  maxSteps?: number;
}

/**
 * Where the authorization ended: the redirect to the client with `code` or `error`.
 *
 * @example
 * ```ts
 * const { code, error } = await driveAuthorization(url);
 * if (error) throw new Error(error);
 * ```
 */
export interface DriveAuthorizationResult {
  /** The full redirect URL the server sent the user agent to. */
  redirectUrl: URL;
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
  /** The cookie jar, to reuse the session (e.g. for a step-up without signing in again). */
  cookies: Map<string, string>;
  /** Scopes shown with a checkbox on the consent page, if one was shown. */
  consentScopes?: string[];
}

const inputValues = (html: string, name: string): string[] =>
  [...html.matchAll(new RegExp(`<input[^>]*name="${name}"[^>]*>`, 'g'))].map(
    (m) => /value="([^"]*)"/.exec(m[0])?.[1] ?? '',
  );

const formAction = (html: string, id: string): string | undefined =>
  new RegExp(`<form[^>]*id="${id}"[^>]*action="([^"]+)"`).exec(html)?.[1];

/**
 * Drive an authorization URL to its redirect back to the client.
 *
 * @example
 * ```ts
 * const { code } = await driveAuthorization(authorizationUrl, {
 *   username: 'bob',
 *   grantScopes: ['todo:read'],
 * });
 * ```
 */
export async function driveAuthorization(
  authorizationUrl: string | URL,
  options: DriveAuthorizationOptions = {},
): Promise<DriveAuthorizationResult> {
  const doFetch = options.fetch ?? fetch;
  const cookies = options.cookies ?? new Map<string, string>();
  const username = options.username ?? 'alice';
  const password = options.password ?? username;
  const start = new URL(authorizationUrl);
  const serverOrigin = start.origin;
  let consentScopes: string[] | undefined;

  const request = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (cookies.size) {
      headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    headers.set('accept', 'text/html');
    const response = await doFetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };

  const post = (url: URL, form: URLSearchParams) =>
    request(url, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  let response = await request(start);
  for (let step = 1; step < (options.maxSteps ?? 20); step += 1) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, response.url || start);
      const ours =
        next.origin === serverOrigin &&
        (next.pathname.startsWith('/auth') || next.pathname.startsWith('/interaction/'));
      if (!ours) {
        return {
          redirectUrl: next,
          code: next.searchParams.get('code') ?? undefined,
          state: next.searchParams.get('state') ?? undefined,
          error: next.searchParams.get('error') ?? undefined,
          errorDescription: next.searchParams.get('error_description') ?? undefined,
          cookies,
          consentScopes,
        };
      }
      await response.body?.cancel();
      response = await request(next);
      continue;
    }
    const html = await response.text();
    const loginAction = formAction(html, 'login-form');
    if (loginAction) {
      if (html.includes('id="error"')) {
        throw new Error('driveAuthorization: the login form rejected the credentials');
      }
      response = await post(
        new URL(loginAction, serverOrigin),
        new URLSearchParams({ username, password }),
      );
      continue;
    }
    const consentAction = formAction(html, 'consent-form');
    if (consentAction) {
      consentScopes = inputValues(html, 'scope');
      const keep = options.grantScopes ? new Set(options.grantScopes) : undefined;
      const form = new URLSearchParams();
      for (const scope of consentScopes) if (!keep || keep.has(scope)) form.append('scope', scope);
      form.set('decision', options.deny ? 'deny' : 'approve');
      response = await post(new URL(consentAction, serverOrigin), form);
      continue;
    }
    throw new Error(
      `driveAuthorization: unexpected response ${response.status} from ${response.url || start.href}`,
    );
  }
  throw new Error('driveAuthorization: too many steps without reaching the client');
}
