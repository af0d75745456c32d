import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  type DevAuthorizationServer,
  driveAuthorization,
  startDevAuthorizationServer,
} from '@org/mcp-auth-dev-authorization-server';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  callToolWithOAuth,
  connectWithOAuth,
  type OAuthSession,
  toolText,
} from './connect-with-oauth.js';
import { createDpopClientKey, createDpopFetch, type DpopClientKey } from './create-dpop-fetch.js';
import { createObservedFetch, type ObservedExchange } from './create-observed-fetch.js';
import { findFreePort } from './find-free-port.js';
import { InMemoryOAuthClientProvider } from './in-memory-oauth-client-provider.js';
import { createNarrator } from './narrator.js';
import { type RunningSample, type SampleName, type SdkLine, startSample } from './start-sample.js';

/**
 * Options of {@link runDemo}.
 *
 * @example
 * ```ts
 * const options: RunDemoOptions = { sample: 'hono', color: false };
 * ```
 */
export interface RunDemoOptions {
  /** Which sample server to protect. Default `'express'`. */
  sample?: SampleName;
  /** The sample's entry: MCP SDK `'v1'` (default) or `'v2'` (`npm run start:v2`). */
  sdk?: SdkLine;
  /** Who signs in on the login page. Default `'alice'` (password = username). */
  username?: string;
  /** ANSI colours. Default `false`. */
  color?: boolean;
  /** Where the narration goes. Default: `process.stdout`. */
  write?: (text: string) => void;
  /** Also print the servers' own log lines. Default `false`. */
  verbose?: boolean;
  /**
   * DPoP (RFC 9449): the authorization server binds tokens to a key the client holds, the
   * sample runs with `MCP_AUTH_DPOP=allowed`, the client signs a proof for each request, and a
   * stolen token is shown refused without its key. Default `false`.
   */
  dpop?: boolean;
}

/**
 * What a successful {@link runDemo} went through.
 *
 * @example
 * ```ts
 * const { milestones } = await runDemo();
 * console.log(milestones.join(', '));
 * ```
 */
export interface DemoResult {
  /** The checks that passed, in order. */
  milestones: string[];
}

/**
 * A demo step that did not do what the flow requires.
 *
 * @example
 * ```ts
 * try { await runDemo(); } catch (e) { if (e instanceof DemoStepError) console.error(e.message); }
 * ```
 */
export class DemoStepError extends Error {
  override readonly name = 'DemoStepError';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoStepError(message);
}

const MILESTONES = [
  '401 challenge',
  'protected resource metadata',
  'authorization server metadata',
  'dynamic registration',
  'authorization request',
  'login and consent',
  'access token',
  'tool call',
  '403 insufficient_scope',
  'step-up consent',
  'step-up token',
  'step-up tool call',
] as const;
/** The further checks of a DPoP run. */
const DPOP_MILESTONES = ['DPoP-bound token', 'stolen token refused'] as const;
type Milestone = (typeof MILESTONES)[number] | (typeof DPOP_MILESTONES)[number];

const BAR = 'Development only: a local authorization server with test users.';

/**
 * Runs the whole MCP authorization flow on this machine and narrates it: starts the local
 * development authorization server (login and consent pages) and one sample MCP server, then
 * an MCP SDK client meets the 401, discovers the metadata, registers, signs in as a user who
 * grants only `todo:read`, calls tools, is refused `add_todo` with 403 `insufficient_scope`,
 * consents to `todo:write` and succeeds. Resolves when every step checked out; rejects with a
 * {@link DemoStepError} (or the underlying error) naming what failed. Stops both servers
 * either way. Tokens are shown decoded (header and claims), never raw.
 *
 * @example
 * ```ts
 * await runDemo({ sample: 'fastify', color: process.stdout.isTTY });
 * ```
 */
export async function runDemo(options: RunDemoOptions = {}): Promise<DemoResult> {
  const sampleName = options.sample ?? 'express';
  const username = options.username ?? 'alice';
  const say = createNarrator({
    color: options.color ?? false,
    ...(options.write ? { write: options.write } : {}),
  });
  const dpop = options.dpop === true;
  const expected: readonly Milestone[] = dpop ? [...MILESTONES, ...DPOP_MILESTONES] : MILESTONES;
  const passed: Milestone[] = [];
  const pass = (milestone: Milestone, text: string) => {
    if (!passed.includes(milestone)) passed.push(milestone);
    say.ok(text);
  };
  const serverLog: string[] = [];
  const log = (line: string) => {
    serverLog.push(line);
    if (serverLog.length > 200) serverLog.shift();
    if (options.verbose) say.line(`      | ${line}`);
  };

  let as: DevAuthorizationServer | undefined;
  let sample: RunningSample | undefined;
  let session: OAuthSession | undefined;
  try {
    say.line(`mcp-auth demo — the MCP authorization flow, end to end, on 127.0.0.1`);
    say.line(BAR);

    say.step('Start the servers');
    as = await startDevAuthorizationServer({
      port: 0,
      dpop,
      logger: {
        info: (m) => log(`[dev-as] ${m}`),
        warn: (m) => log(`[dev-as] ${m}`),
        error: (m) => log(`[dev-as] ${m}`),
      },
    });
    say.detail('authorization server', `${as.issuer} (login + consent pages, users alice and bob)`);
    const port = await findFreePort();
    sample = await startSample({
      name: sampleName,
      ...(options.sdk ? { sdk: options.sdk } : {}),
      port,
      issuer: as.issuer,
      ...(dpop ? { env: { MCP_AUTH_DPOP: 'allowed' } } : {}),
      onOutput: (line) => log(`[sample-${sampleName}] ${line}`),
    });
    say.detail(
      `sample-${sampleName}`,
      `${sample.resource} (MCP SDK ${options.sdk ?? 'v1'} entry, pid ${sample.pid})`,
    );
    const resource = sample.resource;
    const issuer = as.issuer;
    let key: DpopClientKey | undefined;
    if (dpop) {
      key = await createDpopClientKey();
      say.detail(
        'DPoP',
        'on: the authorization server binds tokens to a key; the sample allows DPoP',
      );
      say.detail(
        'client DPoP key',
        `ES256, thumbprint ${key.jkt} (the private key never leaves the client)`,
      );
    }
    let lastProof: string | undefined;

    // Everything below is observed through the fetch the MCP client uses.
    let cookies: Map<string, string> | undefined;
    let stepUp = false;
    let tokenSeen = 0;
    const metadataShown = new Set<string>();

    const observe = async ({ method, url, requestBody, response }: ObservedExchange) => {
      const isMcp = url.href === resource || url.href === `${resource}/`;
      if (isMcp && response.status === 401) {
        say.step(`MCP request without a token → ${response.status} Unauthorized`);
        const header = response.headers.get('www-authenticate') ?? '';
        say.detail('request', `${method} ${url.href}`);
        say.detail('WWW-Authenticate', header || '(missing)');
        const body = await response.clone().text();
        if (body) say.detail('body', body);
        const { resourceMetadataUrl } = extractWWWAuthenticateParams(response);
        check(header.startsWith('Bearer '), 'the 401 has no Bearer challenge');
        check(!/error=/.test(header), 'a request without credentials must not get an error code');
        check(resourceMetadataUrl, 'the 401 challenge has no resource_metadata');
        pass('401 challenge', 'challenge names the protected resource metadata');
        return;
      }
      if (isMcp && response.status === 403) {
        say.step(`add_todo with a todo:read token → ${response.status} Forbidden`);
        const header = response.headers.get('www-authenticate') ?? '';
        say.detail('WWW-Authenticate', header || '(missing)');
        const body = await response.clone().text();
        if (body) say.detail('body', body);
        const { error, scope } = extractWWWAuthenticateParams(response);
        check(error === 'insufficient_scope', 'the 403 challenge is not insufficient_scope');
        check(
          scope?.split(' ').includes('todo:write'),
          'the 403 challenge does not name todo:write',
        );
        pass('403 insufficient_scope', `the server asks for: ${scope}`);
        say.note('The SDK client starts a new authorization for exactly those scopes.');
        stepUp = true;
        return;
      }
      if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
        if (metadataShown.has(url.href))
          return say.detail('read again', `${url.href} → ${response.status}`);
        metadataShown.add(url.href);
        say.step('Protected Resource Metadata (RFC 9728)');
        say.detail('GET', `${url.href} → ${response.status}`);
        if (response.status !== 200) return;
        const prm = (await response.clone().json()) as Record<string, unknown>;
        say.json(prm);
        check(prm.resource === resource, `PRM resource ${String(prm.resource)} is not ${resource}`);
        check(
          Array.isArray(prm.authorization_servers) && prm.authorization_servers.includes(issuer),
          `PRM authorization_servers does not list ${issuer}`,
        );
        pass('protected resource metadata', `resource matches, authorization server ${issuer}`);
        return;
      }
      if (
        url.origin === new URL(issuer).origin &&
        (url.pathname.startsWith('/.well-known/oauth-authorization-server') ||
          url.pathname.startsWith('/.well-known/openid-configuration'))
      ) {
        if (metadataShown.has(url.href))
          return say.detail('read again', `${url.href} → ${response.status}`);
        metadataShown.add(url.href);
        say.step('Authorization server metadata (RFC 8414)');
        say.detail('GET', `${url.href} → ${response.status}`);
        if (response.status !== 200) return;
        const m = (await response.clone().json()) as Record<string, unknown>;
        say.json({
          issuer: m.issuer,
          authorization_endpoint: m.authorization_endpoint,
          token_endpoint: m.token_endpoint,
          registration_endpoint: m.registration_endpoint,
          code_challenge_methods_supported: m.code_challenge_methods_supported,
          scopes_supported: m.scopes_supported,
        });
        check(m.issuer === issuer, 'the metadata issuer differs from the configured one');
        check(
          Array.isArray(m.code_challenge_methods_supported) &&
            m.code_challenge_methods_supported.includes('S256'),
          'the authorization server does not offer PKCE S256',
        );
        pass('authorization server metadata', 'PKCE S256 and dynamic registration available');
        return;
      }
      if (method === 'POST' && url.origin === new URL(issuer).origin && url.pathname === '/reg') {
        say.step('Dynamic client registration (RFC 7591)');
        say.detail('POST', `${url.href} → ${response.status}`);
        const sent = requestBody ? (JSON.parse(requestBody) as Record<string, unknown>) : {};
        say.json({
          client_name: sent.client_name,
          redirect_uris: sent.redirect_uris,
          grant_types: sent.grant_types,
          token_endpoint_auth_method: sent.token_endpoint_auth_method,
        });
        check(response.status === 201, `registration answered ${response.status}`);
        const reg = (await response.clone().json()) as Record<string, unknown>;
        say.detail('client_id', String(reg.client_id));
        pass('dynamic registration', 'public client registered');
        return;
      }
      if (method === 'POST' && url.origin === new URL(issuer).origin && url.pathname === '/token') {
        tokenSeen += 1;
        say.step(
          stepUp ? 'Token exchange after step-up' : 'Token exchange (authorization code + PKCE)',
        );
        const form = new URLSearchParams(requestBody ?? '');
        say.detail('POST', `${url.href} → ${response.status}`);
        say.detail(
          'sent',
          `grant_type=${form.get('grant_type')}, code=(hidden), code_verifier=(hidden), resource=${form.get('resource')}`,
        );
        const body = (await response.clone().json()) as Record<string, unknown>;
        check(
          response.status === 200,
          `token endpoint answered ${response.status}: ${String(body.error)}`,
        );
        check(typeof body.access_token === 'string', 'no access_token in the token response');
        const header = decodeProtectedHeader(body.access_token);
        const claims = decodeJwt(body.access_token);
        if (key !== undefined) {
          const cnf = claims.cnf as { jkt?: unknown } | undefined;
          say.detail(
            'DPoP proof sent',
            'yes: a dpop+jwt signed by the client key, htm POST, htu the token endpoint',
          );
          check(body.token_type === 'DPoP', `token_type is ${String(body.token_type)}, not DPoP`);
          check(cnf?.jkt === key.jkt, 'the token is not bound (cnf.jkt) to the client key');
          pass(
            'DPoP-bound token',
            `cnf.jkt = ${key.jkt}: the token works only with proofs by this key`,
          );
        }
        say.detail(
          'token_type',
          `${String(body.token_type)}, expires_in ${String(body.expires_in)} s, scope "${String(body.scope)}"`,
        );
        say.note('access token (decoded; the token itself is never printed):');
        say.json({ header, claims });
        check(header.typ === 'at+jwt', `token typ is ${String(header.typ)}, not at+jwt`);
        const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
        check(aud.includes(resource), `token aud does not name ${resource}`);
        check(claims.iss === issuer, 'token iss is not the issuer');
        const scopes = String(claims.scope ?? '').split(' ');
        if (stepUp) {
          check(scopes.includes('todo:write'), 'the step-up token has no todo:write');
          pass('step-up token', `aud = ${resource}, scope "${claims.scope}"`);
        } else {
          check(
            scopes.includes('todo:read') && !scopes.includes('todo:write'),
            'the first token should carry todo:read only',
          );
          pass('access token', `aud = ${resource}, sub = ${claims.sub}, scope "${claims.scope}"`);
        }
      }
    };

    const provider = new InMemoryOAuthClientProvider({
      clientName: 'mcp-auth demo client',
      authorize: async (authorizationUrl) => {
        const p = authorizationUrl.searchParams;
        say.step(
          stepUp
            ? 'Authorization request for more scope'
            : 'Authorization request (code + PKCE + resource)',
        );
        say.detail('GET', `${authorizationUrl.origin}${authorizationUrl.pathname}`);
        for (const key of [
          'client_id',
          'response_type',
          'redirect_uri',
          'scope',
          'resource',
          'code_challenge_method',
          'state',
        ]) {
          say.detail(`  ${key}`, p.get(key) ?? '(absent)');
        }
        say.detail('  code_challenge', `${(p.get('code_challenge') ?? '').slice(0, 12)}…`);
        check(
          p.get('resource') === resource,
          `authorization request resource is ${p.get('resource')}, not ${resource}`,
        );
        check(
          p.get('code_challenge_method') === 'S256',
          'authorization request does not use PKCE S256',
        );
        if (!stepUp) pass('authorization request', 'resource indicator and PKCE S256 present');

        const grantScopes = stepUp ? undefined : ['todo:read'];
        say.step(stepUp ? 'Consent to the extra scope' : `Login as ${username} and consent`);
        const result = await driveAuthorization(authorizationUrl, {
          username,
          ...(grantScopes ? { grantScopes } : {}),
          ...(cookies ? { cookies } : {}),
        });
        cookies = result.cookies;
        say.detail(
          'signed in',
          stepUp ? `(already, as ${username})` : `${username} / password form`,
        );
        say.detail(
          'consent page asked for',
          (result.consentScopes ?? []).join(' ') || '(no consent page)',
        );
        const granted = grantScopes ?? result.consentScopes ?? [];
        say.detail('user ticked', granted.join(' '));
        if (!stepUp) {
          say.note(
            "The server's 401 named todo:read alone (least privilege), so that is all the user grants — add_todo will need a step-up.",
          );
        }
        check(
          !result.error,
          `authorization ended with ${result.error}: ${result.errorDescription ?? ''}`,
        );
        check(result.code, 'the redirect carried no authorization code');
        check(result.state === provider.lastState, 'the redirect state does not match');
        say.detail(
          'redirect',
          `${result.redirectUrl.origin}${result.redirectUrl.pathname}?code=(hidden)&state=…`,
        );
        if (stepUp) {
          check(
            result.consentScopes?.includes('todo:write'),
            'the consent page did not ask for todo:write',
          );
          pass('step-up consent', 'todo:write granted');
        } else {
          pass('login and consent', `code received for ${username}`);
        }
        return result.code;
      },
    });

    const observed = createObservedFetch(observe);
    session = await connectWithOAuth({
      url: resource,
      provider,
      fetch:
        key === undefined
          ? observed
          : createDpopFetch(
              {
                key,
                tokenEndpoint: `${issuer}/token`,
                resource,
                onResourceProof: (proof) => {
                  lastProof = proof;
                },
              },
              observed,
            ),
    });
    const server = session.client.getServerVersion();
    say.step('Connected with the token');
    say.detail('server', `${server?.name ?? '?'} ${server?.version ?? ''}`);
    const tools = await session.client.listTools();
    say.detail('tools', tools.tools.map((t) => t.name).join(', '));

    say.step('Tool calls');
    const whoami = await callToolWithOAuth(session, 'whoami');
    say.detail('whoami', toolText(whoami));
    check(!whoami.isError && toolText(whoami).includes(username), 'whoami did not return the user');
    const before = await callToolWithOAuth(session, 'list_todos');
    say.detail('list_todos', toolText(before));
    check(!before.isError, 'list_todos failed');
    pass('tool call', 'todo:read is enough for list_todos');
    check(tokenSeen === 1, 'expected exactly one token so far');

    const title = `Try the step-up flow (${new Date().toISOString().slice(11, 19)})`;
    const added = await callToolWithOAuth(session, 'add_todo', { title });
    check(stepUp, 'add_todo did not require a step-up');
    say.step('add_todo again, with the new token');
    say.detail('add_todo', toolText(added));
    check(!added.isError, `add_todo failed: ${toolText(added)}`);
    const after = await callToolWithOAuth(session, 'list_todos');
    say.detail('list_todos', toolText(after));
    check(toolText(after).includes(title), 'the new todo is not listed');
    pass('step-up tool call', 'add_todo works after consenting to todo:write');

    if (key !== undefined) await showStolenToken(say, provider, resource, lastProof, pass);

    const missing = expected.filter((m) => !passed.includes(m));
    check(missing.length === 0, `steps not seen: ${missing.join(', ')}`);
    say.line();
    say.ok(`All ${expected.length} checks passed.`);
    return { milestones: [...passed] };
  } catch (error) {
    say.line();
    const where = say.current();
    say.fail(
      `Demo failed${where ? ` at step ${where}` : ''}: ${error instanceof Error ? error.message : String(error)}`,
    );
    if (!options.verbose && serverLog.length) {
      say.note('last server output:');
      for (const line of serverLog.slice(-25)) say.note(`| ${line}`);
    }
    throw error;
  } finally {
    await session?.client.close().catch(() => undefined);
    await sample?.stop().catch(() => undefined);
    await as?.close().catch(() => undefined);
  }
}

/**
 * An attacker who copied the access token (from a log, a proxy, a compromised host) but not
 * the client's private key: the token as Bearer, with a proof signed by the attacker's own key,
 * and with a proof captured from the client — each refused with 401.
 */
async function showStolenToken(
  say: ReturnType<typeof createNarrator>,
  provider: InMemoryOAuthClientProvider,
  resource: string,
  captured: string | undefined,
  pass: (milestone: Milestone, text: string) => void,
): Promise<void> {
  say.step('A stolen token, replayed without its key');
  const token = (await provider.tokens())?.access_token;
  check(token !== undefined, 'the client holds no token');
  check(captured !== undefined, 'no DPoP proof was captured');
  const thief = await createDpopClientKey();
  const send = async (authorization: string, proof?: string) => {
    const response = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization,
        ...(proof === undefined ? {} : { dpop: proof }),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'list_todos', arguments: {} },
      }),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return {
      status: response.status,
      error: String(body.error),
      description: String(body.error_description),
    };
  };
  const attempts = [
    ['as a Bearer token', await send(`Bearer ${token}`), 'invalid_token'],
    [
      "with a proof signed by the thief's own key",
      await send(`DPoP ${token}`, await thief.proof('POST', resource, token)),
      'invalid_token',
    ],
    [
      "with a proof captured from the client's last request",
      await send(`DPoP ${token}`, captured),
      'invalid_dpop_proof',
    ],
  ] as const;
  for (const [how, result, error] of attempts) {
    say.detail(how, `${result.status} ${result.error}: ${result.description}`);
    check(
      result.status === 401 && result.error === error,
      `the stolen token ${how} was not refused with 401 ${error}`,
    );
  }
  pass('stolen token refused', 'without the private key the token is useless');
}
