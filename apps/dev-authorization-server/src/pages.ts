/**
 * Server-rendered HTML for the login, consent and error pages. Element ids and names are a
 * stable contract for browser automation (see the README).
 */

const escapeHtml = (value: string): string =>
  value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

/**
 * The notice every page carries.
 *
 * @example
 * ```ts
 * html.includes(DEV_ONLY_NOTICE); // true for every page
 * ```
 */
export const DEV_ONLY_NOTICE = 'Development authorization server — not for production';

const layout = (title: string, body: string): string => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${DEV_ONLY_NOTICE}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f4f6;margin:0;padding:2rem}
main{max-width:26rem;margin:0 auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
.notice{background:#fff3cd;border:1px solid #e0c36c;padding:.5rem .75rem;border-radius:4px;font-size:.9rem}
label{display:block;margin:.75rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:1rem;margin-right:.5rem;padding:.5rem 1rem}
.error{color:#a00}
ul{padding-left:0;list-style:none}
code{background:#eee;padding:0 .2rem}
</style>
</head>
<body>
<main>
<p class="notice" id="dev-notice"><strong>${DEV_ONLY_NOTICE}.</strong> Never use it to protect real data.</p>
${body}
</main>
</body>
</html>`;

/**
 * Options for {@link renderLoginPage}.
 *
 * @example
 * ```ts
 * const options: LoginPageOptions = { uid: 'abc', clientName: 'demo', error: 'Wrong password' };
 * ```
 */
export interface LoginPageOptions {
  uid: string;
  clientName: string;
  error?: string;
  username?: string;
}

/**
 * The username/password form. Inputs `name="username"` / `name="password"`, submit button
 * `id="login"`; an error message, when present, has `id="error"`.
 *
 * @example
 * ```ts
 * const html = renderLoginPage({ uid: 'abc', clientName: 'MCP Inspector' });
 * ```
 */
export function renderLoginPage(options: LoginPageOptions): string {
  const error = options.error
    ? `<p class="error" id="error" role="alert">${escapeHtml(options.error)}</p>`
    : '';
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p><strong id="client-name">${escapeHtml(options.clientName)}</strong> wants to access your account.</p>
${error}
<form id="login-form" method="post" action="/interaction/${encodeURIComponent(options.uid)}/login" autocomplete="off">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(options.username ?? '')}" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<button type="submit" id="login">Sign in</button>
</form>`,
  );
}

/**
 * Options for {@link renderConsentPage}.
 *
 * @example
 * ```ts
 * const options: ConsentPageOptions = {
 *   uid: 'abc', clientName: 'demo', username: 'alice',
 *   requestedScopes: ['todo:write'], grantedScopes: ['todo:read'], resources: [],
 * };
 * ```
 */
export interface ConsentPageOptions {
  uid: string;
  clientName: string;
  username: string;
  /** Scopes asked for now; each gets a checkbox, checked by default. */
  requestedScopes: string[];
  /** Scopes the user granted this client earlier (shown, not asked again). */
  grantedScopes: string[];
  /** Resource indicators (RFC 8707) the token will be issued for. */
  resources: string[];
}

/**
 * The consent form: one checkbox `name="scope" value="<scope>"` per requested scope (checked
 * by default, ids `scope-<scope>`), then `button#approve` and `button#deny` (both submit
 * `name="decision"`, value `approve` / `deny`).
 *
 * @example
 * ```ts
 * const html = renderConsentPage({
 *   uid: 'abc', clientName: 'demo', username: 'alice',
 *   requestedScopes: ['todo:read'], grantedScopes: [], resources: ['http://127.0.0.1:3001/mcp'],
 * });
 * ```
 */
export function renderConsentPage(options: ConsentPageOptions): string {
  const checkboxes = options.requestedScopes
    .map(
      (scope) =>
        `<li><label><input type="checkbox" id="scope-${escapeHtml(scope)}" name="scope" value="${escapeHtml(scope)}" checked> <code>${escapeHtml(scope)}</code></label></li>`,
    )
    .join('\n');
  const granted = options.grantedScopes.length
    ? `<p>Already granted: <span id="granted-scopes">${options.grantedScopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ')}</span></p>`
    : '';
  const resources = options.resources.length
    ? `<p>For: <span id="resources">${options.resources.map((r) => `<code>${escapeHtml(r)}</code>`).join(' ')}</span></p>`
    : '';
  return layout(
    'Authorize',
    `<h1>Authorize access</h1>
<p>Signed in as <strong id="username">${escapeHtml(options.username)}</strong>.</p>
<p><strong id="client-name">${escapeHtml(options.clientName)}</strong> asks for these permissions. Untick any you do not want to grant.</p>
${resources}
<form id="consent-form" method="post" action="/interaction/${encodeURIComponent(options.uid)}/confirm">
<ul id="scopes">
${checkboxes}
</ul>
${granted}
<button type="submit" id="approve" name="decision" value="approve">Approve</button>
<button type="submit" id="deny" name="decision" value="deny">Deny</button>
</form>`,
  );
}

/**
 * A plain error page: the OAuth error code and description only, never a stack trace.
 *
 * @example
 * ```ts
 * const html = renderErrorPage('invalid_request', 'missing required parameter');
 * ```
 */
export function renderErrorPage(error: string, description?: string): string {
  return layout(
    'Error',
    `<h1>Something went wrong</h1>
<p id="error-code"><code>${escapeHtml(error)}</code></p>
${description ? `<p id="error-description">${escapeHtml(description)}</p>` : ''}`,
  );
}

/**
 * The landing page at `/`: what this server is and where its metadata lives.
 *
 * @example
 * ```ts
 * const html = renderHomePage('http://127.0.0.1:9400');
 * ```
 */
export function renderHomePage(issuer: string): string {
  const metadata = `${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`;
  return layout(
    'Home',
    `<h1>Development authorization server</h1>
<p>Issuer: <code id="issuer">${escapeHtml(issuer)}</code></p>
<p>Metadata: <a id="metadata" href="${escapeHtml(metadata)}">${escapeHtml(metadata)}</a></p>`,
  );
}
