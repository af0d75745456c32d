/// <reference path="./oidc-provider.d.ts" />
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  OidcClient,
  OidcContext,
  OidcGrant,
  OidcInteraction,
  Provider as OidcProvider,
} from 'oidc-provider';
import { createMemoryStore } from './memory-store.js';
import {
  DEV_ONLY_NOTICE,
  renderConsentPage,
  renderErrorPage,
  renderHomePage,
  renderLoginPage,
} from './pages.js';
import { generateSigningKey, type PrivateSigningJwk, type SigningAlg } from './signing-key.js';

/**
 * A person who can sign in to the development authorization server.
 *
 * @example
 * ```ts
 * const carol: DevUser = { username: 'carol', password: 'pw', sub: 'user-carol' };
 * ```
 */
export interface DevUser {
  username: string;
  password: string;
  /** Subject (`sub` claim). Default: the username. */
  sub?: string;
  /** Display name. Default: the username. */
  name?: string;
}

/**
 * Where the server writes what it does. Tokens are never logged.
 *
 * @example
 * ```ts
 * const logger: DevAuthorizationServerLogger = {
 *   info: console.log, warn: console.warn, error: console.error,
 * };
 * ```
 */
export interface DevAuthorizationServerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/**
 * Options of {@link startDevAuthorizationServer}. Every option has a development default.
 *
 * @example
 * ```ts
 * const options: DevAuthorizationServerOptions = { port: 0, signingAlg: 'ES256', autoApprove: true };
 * ```
 */
export interface DevAuthorizationServerOptions {
  /** TCP port; `0` picks a free one. Default `0`. */
  port?: number;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Issuer identifier (the `iss` claim, exact). Default `http://<host>:<port>`. */
  issuer?: string;
  /** Accounts. Default {@link DEFAULT_USERS} (alice/alice, bob/bob). */
  users?: DevUser[];
  /** Resource scopes access tokens may carry. Default {@link DEFAULT_SCOPES}. */
  scopes?: string[];
  /** Access-token signature algorithm. Default `'RS256'`. */
  signingAlg?: SigningAlg;
  /**
   * Skip the login and consent pages: `true` signs in the first user, `{ username }` that
   * user; every requested scope is granted. Default `false`.
   */
  autoApprove?: boolean | { username: string };
  /** Access-token lifetime in seconds. Default `3600`. */
  accessTokenTtl?: number;
  /** Seconds a retired signing key stays in the JWKS after a rotation. Default `300`. */
  keyGraceSeconds?: number;
  /**
   * Which resource indicators (RFC 8707) tokens may be issued for. Default: any `http:` or
   * `https:` URI on `127.0.0.1`, `localhost` or `[::1]`.
   */
  isResourceAllowed?: (resource: string) => boolean;
  /**
   * DPoP (RFC 9449): advertise `dpop_signing_alg_values_supported` and issue sender-constrained
   * tokens (`token_type: DPoP`, `cnf.jkt`) to requests carrying a `DPoP` proof. Default `false`:
   * the metadata names no DPoP algorithm and a `DPoP` header is ignored, so every token is a
   * plain Bearer token — what the sample servers accept.
   */
  dpop?: boolean;
  /** Log sink. Default: warnings and errors to the console, nothing else. */
  logger?: DevAuthorizationServerLogger;
}

/**
 * What a key rotation did.
 *
 * @example
 * ```ts
 * const { newKid, retiredKid }: RotateKeysResult = await server.rotateKeys();
 * ```
 */
export interface RotateKeysResult {
  /** Key id now signing new tokens. */
  newKid: string;
  /** Key id that signed until now; it stays in the JWKS for the grace period. */
  retiredKid: string;
}

/**
 * A running development authorization server.
 *
 * @example
 * ```ts
 * const server: DevAuthorizationServer = await startDevAuthorizationServer();
 * await server.close();
 * ```
 */
export interface DevAuthorizationServer {
  /** The issuer identifier, exactly as it appears in `iss`. */
  issuer: string;
  /** Base URL the server listens on (`http://host:port`). */
  url: string;
  /** The JWKS location. */
  jwksUri: string;
  /** The port actually bound. */
  port: number;
  /** Stop listening and drop every timer; resolves once the socket is closed. */
  close(): Promise<void>;
  /** Make a new key the signing key; the previous one stays published for the grace period. */
  rotateKeys(): Promise<RotateKeysResult>;
  /** Key ids currently published in the JWKS, signing key first. */
  publishedKids(): string[];
}

/**
 * Default accounts: alice/alice (sub `alice`) and bob/bob (sub `bob`).
 *
 * @example
 * ```ts
 * await startDevAuthorizationServer({ users: [...DEFAULT_USERS, { username: 'carol', password: 'pw' }] });
 * ```
 */
export const DEFAULT_USERS: readonly Required<DevUser>[] = Object.freeze([
  { username: 'alice', password: 'alice', sub: 'alice', name: 'Alice Example' },
  { username: 'bob', password: 'bob', sub: 'bob', name: 'Bob Example' },
]);

/**
 * Default resource scopes: `todo:read todo:write calendar:read calendar:write`.
 *
 * @example
 * ```ts
 * await startDevAuthorizationServer({ scopes: [...DEFAULT_SCOPES, 'notes:read'] });
 * ```
 */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze([
  'todo:read',
  'todo:write',
  'calendar:read',
  'calendar:write',
]);

/** OpenID Connect scopes the server also understands (`offline_access` → refresh token). */
const OIDC_SCOPES = ['openid', 'offline_access', 'profile'];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const FORM_LIMIT_BYTES = 16 * 1024;

/**
 * Accept resource indicators on loopback hosts only.
 *
 * @example
 * ```ts
 * isLoopbackResource('http://127.0.0.1:3001/mcp'); // true
 * isLoopbackResource('https://api.example.com/mcp'); // false
 * ```
 */
export function isLoopbackResource(resource: string): boolean {
  const url = URL.parse(resource);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  return LOOPBACK_HOSTS.has(url.hostname);
}

const consoleLogger: DevAuthorizationServerLogger = {
  info() {},
  warn(message) {
    console.warn(`[dev-authorization-server] ${message}`);
  },
  error(message) {
    console.error(`[dev-authorization-server] ${message}`);
  },
};

type OidcProviderModule = typeof import('oidc-provider');
let providerModule: Promise<OidcProviderModule> | undefined;

/**
 * Import oidc-provider once. Its import-time "Unsupported runtime" notice only checks the
 * Node.js LTS code name (it runs fine on Node 20), so it is routed to the debug log instead of
 * the console.
 */
function loadOidcProvider(logger: DevAuthorizationServerLogger): Promise<OidcProviderModule> {
  providerModule ??= (async () => {
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (text.includes('Unsupported runtime')) {
        logger.debug?.(
          'oidc-provider prefers a newer Node.js LTS; this development server runs on Node 20',
        );
        return;
      }
      original(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = original;
    }
  })();
  return providerModule;
}

interface ResolvedUser {
  username: string;
  password: string;
  sub: string;
  name: string;
}

interface Resolved {
  port: number;
  host: string;
  issuer: string | undefined;
  users: ResolvedUser[];
  scopes: string[];
  signingAlg: SigningAlg;
  autoApproveUser: ResolvedUser | undefined;
  accessTokenTtl: number;
  keyGraceSeconds: number;
  isResourceAllowed: (resource: string) => boolean;
  dpop: boolean;
  logger: DevAuthorizationServerLogger;
}

const fail = (option: string, rule: string): never => {
  throw new TypeError(`startDevAuthorizationServer: option "${option}" ${rule}`);
};

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0;

function resolveOptions(options: DevAuthorizationServerOptions): Resolved {
  if (options === null || typeof options !== 'object') fail('options', 'must be an object');
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail('port', 'must be an integer from 0 to 65535');
  }
  const host = options.host ?? '127.0.0.1';
  if (!isNonEmptyString(host)) fail('host', 'must be a non-empty string');

  let issuer: string | undefined;
  if (options.issuer !== undefined) {
    const url = isNonEmptyString(options.issuer) ? URL.parse(options.issuer) : null;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      fail('issuer', 'must be an absolute http(s) URL');
    } else if (url.search || url.hash || options.issuer.endsWith('?') || url.pathname !== '/') {
      fail('issuer', 'must be an origin without path, query or fragment');
    }
    issuer = options.issuer;
  }

  const rawUsers = options.users ?? DEFAULT_USERS;
  if (!Array.isArray(rawUsers) || rawUsers.length === 0) {
    fail('users', 'must be a non-empty array');
  }
  const users: ResolvedUser[] = rawUsers.map((user, index) => {
    if (!user || !isNonEmptyString(user.username) || !isNonEmptyString(user.password)) {
      fail(`users[${index}]`, 'must have a non-empty username and password');
    }
    if (user.sub !== undefined && !isNonEmptyString(user.sub)) {
      fail(`users[${index}].sub`, 'must be a non-empty string');
    }
    return {
      username: user.username,
      password: user.password,
      sub: user.sub ?? user.username,
      name: user.name ?? user.username,
    };
  });
  if (new Set(users.map((u) => u.username)).size !== users.length) {
    fail('users', 'must not repeat a username');
  }
  if (new Set(users.map((u) => u.sub)).size !== users.length) {
    fail('users', 'must not repeat a sub');
  }

  const scopes = [...(options.scopes ?? DEFAULT_SCOPES)];
  if (!Array.isArray(options.scopes ?? DEFAULT_SCOPES) || scopes.length === 0) {
    fail('scopes', 'must be a non-empty array');
  }
  for (const scope of scopes) {
    if (!isNonEmptyString(scope) || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
      fail('scopes', `contains an invalid scope token: ${JSON.stringify(scope)}`);
    }
    if (OIDC_SCOPES.includes(scope)) {
      fail('scopes', `must list resource scopes only; "${scope}" is built in`);
    }
  }

  const signingAlg = options.signingAlg ?? 'RS256';
  if (signingAlg !== 'RS256' && signingAlg !== 'ES256') {
    fail('signingAlg', 'must be "RS256" or "ES256"');
  }

  let autoApproveUser: ResolvedUser | undefined;
  const auto = options.autoApprove ?? false;
  if (auto === true) {
    autoApproveUser = users[0];
  } else if (auto !== false) {
    if (typeof auto !== 'object' || auto === null || !isNonEmptyString(auto.username)) {
      fail('autoApprove', 'must be a boolean or { username }');
    }
    autoApproveUser = users.find((u) => u.username === auto.username);
    if (!autoApproveUser)
      fail('autoApprove.username', `names no configured user (${auto.username})`);
  }

  const accessTokenTtl = options.accessTokenTtl ?? 3600;
  if (!Number.isInteger(accessTokenTtl) || accessTokenTtl <= 0) {
    fail('accessTokenTtl', 'must be a positive integer (seconds)');
  }
  const keyGraceSeconds = options.keyGraceSeconds ?? 300;
  if (typeof keyGraceSeconds !== 'number' || !(keyGraceSeconds >= 0)) {
    fail('keyGraceSeconds', 'must be a number of seconds ≥ 0');
  }
  const isResourceAllowed = options.isResourceAllowed ?? isLoopbackResource;
  if (typeof isResourceAllowed !== 'function') fail('isResourceAllowed', 'must be a function');

  const dpop = options.dpop ?? false;
  if (typeof dpop !== 'boolean') fail('dpop', 'must be a boolean');

  const logger = options.logger ?? consoleLogger;
  for (const level of ['info', 'warn', 'error'] as const) {
    if (typeof logger?.[level] !== 'function') fail('logger', `must have an ${level}() method`);
  }

  return {
    port,
    host,
    issuer,
    users,
    scopes,
    signingAlg,
    autoApproveUser,
    accessTokenTtl,
    keyGraceSeconds,
    isResourceAllowed,
    dpop,
    logger,
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(
      415,
      'invalid_request',
      'expected an application/x-www-form-urlencoded form',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > FORM_LIMIT_BYTES) throw new HttpError(413, 'invalid_request', 'form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  });
  res.end(html);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const unique = (values: Iterable<string>): string[] => [...new Set(values)];

const split = (value: string | undefined): string[] =>
  (value ? value.split(' ') : []).filter(Boolean);

/**
 * Start a local OAuth 2.1 authorization server for development, demos and tests, built on
 * `oidc-provider`: RFC 8414 metadata, open dynamic client registration, authorization code +
 * PKCE (S256 only), RFC 8707 resource indicators issuing RFC 9068 JWT access tokens
 * (`typ: at+jwt`, `aud` = the requested resource), refresh tokens, client credentials, a
 * login + consent page (or automatic approval) and signing-key rotation on demand.
 *
 * **Development only — never use it to protect real data.**
 *
 * @example
 * ```ts
 * const as = await startDevAuthorizationServer({ port: 0, autoApprove: true });
 * console.log(as.issuer); // http://127.0.0.1:54321
 * const { newKid, retiredKid } = await as.rotateKeys();
 * await as.close();
 * ```
 */
export async function startDevAuthorizationServer(
  options: DevAuthorizationServerOptions = {},
): Promise<DevAuthorizationServer> {
  const config = resolveOptions(options);
  const { logger } = config;
  const { Provider, errors } = await loadOidcProvider(logger);

  const store = createMemoryStore();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  let keys: PrivateSigningJwk[] = [await generateSigningKey(config.signingAlg)];
  const timers = new Set<NodeJS.Timeout>();
  let issuer = config.issuer ?? '';
  let provider: OidcProvider | undefined;
  let providerHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const userBySub = new Map(config.users.map((u) => [u.sub, u]));
  const userByName = new Map(config.users.map((u) => [u.username, u]));

  const resourceServerInfo = async (_ctx: unknown, resource: string) => {
    let allowed = false;
    try {
      allowed = config.isResourceAllowed(resource) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) {
      const InvalidTarget = errors.InvalidTarget ?? Error;
      throw new InvalidTarget(`resource ${resource} is not served by this development server`);
    }
    return {
      scope: config.scopes.join(' '),
      accessTokenFormat: 'jwt',
      accessTokenTTL: config.accessTokenTtl,
      jwt: { sign: { alg: config.signingAlg } },
    };
  };

  // A registration's `scope` is not kept as an allow-list: MCP clients register with the scopes
  // of their first, least-privilege request and later step up to others, which oidc-provider
  // would refuse (`invalid_scope`) for a client registered with a narrower `scope`.
  const adapterFor = (model: string) => {
    const adapter = store.adapterFor(model);
    if (model !== 'Client') return adapter;
    return {
      ...adapter,
      upsert: (id: string, payload: Record<string, unknown>, expiresIn?: number) => {
        const { scope: _ignored, ...rest } = payload;
        return adapter.upsert(id, rest, expiresIn);
      },
    };
  };

  const buildProvider = (): OidcProvider => {
    const instance = new Provider(issuer, {
      adapter: adapterFor,
      jwks: { keys: keys.map((key) => ({ ...key })) },
      cookies: {
        keys: cookieKeys,
        long: { httpOnly: true, sameSite: 'lax' },
        short: { httpOnly: true, sameSite: 'lax' },
      },
      claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
      // Resource scopes are listed too so clients may name them in their registration `scope`.
      scopes: [...OIDC_SCOPES, ...config.scopes],
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: config.signingAlg,
      },
      clientBasedCORS: () => true,
      features: {
        devInteractions: { enabled: false },
        registration: { enabled: true, initialAccessToken: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true, allowedPolicy: async () => true },
        revocation: { enabled: true, allowedPolicy: async () => true },
        rpInitiatedLogout: { enabled: false },
        // oidc-provider turns DPoP on unless told otherwise; here it is opt-in.
        dPoP: { enabled: config.dpop },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf,
          useGrantedResource: async () => true,
          getResourceServerInfo: resourceServerInfo,
        },
      },
      // OAuth 2.1: the code flow only (no implicit or hybrid responses).
      responseTypes: ['code'],
      pkce: { required: () => true },
      // A refresh token only when the user granted offline_access (and the client registered
      // for the refresh_token grant). oidc-provider keeps offline_access in an authorization
      // request only when it also carries prompt=consent (OpenID Connect Core §11).
      issueRefreshToken: async (
        _ctx: unknown,
        client: OidcClient,
        source: { scopes: Set<string> },
      ) => client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access'),
      expiresWithSession: async () => false,
      ttl: {
        AccessToken: config.accessTokenTtl,
        ClientCredentials: config.accessTokenTtl,
        AuthorizationCode: 60,
        IdToken: 3600,
        RefreshToken: 14 * 24 * 3600,
        Interaction: 3600,
        Session: 14 * 24 * 3600,
        Grant: 14 * 24 * 3600,
      },
      findAccount: async (_ctx: unknown, sub: string) => {
        const user = userBySub.get(sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          claims: async () => ({ sub, name: user.name, preferred_username: user.username }),
        };
      },
      loadExistingGrant: async (ctx: OidcContext) => {
        const grantId =
          ctx.oidc.result?.consent?.grantId ??
          (ctx.oidc.client ? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId) : undefined);
        if (!grantId) return undefined;
        const grant = await ctx.oidc.provider.Grant.find(grantId);
        // A new authorization request asks again for scopes the user declined before, so a
        // client stepping up to a declined scope gets the consent page rather than a token
        // without it.
        if (grant && !ctx.oidc.result) grant.rejected = undefined;
        return grant;
      },
      renderError: async (
        ctx: OidcContext,
        out: { error?: string; error_description?: string },
      ) => {
        ctx.type = 'html';
        ctx.body = renderErrorPage(out.error ?? 'server_error', out.error_description);
      },
      interactions: {
        url: async (_ctx: unknown, interaction: { uid: string }) =>
          `/interaction/${interaction.uid}`,
      },
    });

    instance.use(async (ctx, next) => {
      await next();
      if (
        ctx.method === 'GET' &&
        (ctx.path === '/.well-known/oauth-authorization-server' ||
          ctx.path === '/.well-known/openid-configuration') &&
        ctx.status === 200 &&
        ctx.body !== null &&
        typeof ctx.body === 'object'
      ) {
        const body = ctx.body as { scopes_supported?: string[] };
        body.scopes_supported = unique([...config.scopes, ...(body.scopes_supported ?? [])]);
      }
    });
    instance.on('error', (err: Error) => logger.error(`request failed: ${err.message}`));
    instance.on('server_error', (_ctx: OidcContext, err: Error) =>
      logger.error(`server error: ${err.message}`),
    );
    instance.on('registration_create.success', (_ctx: OidcContext, client: OidcClient) =>
      logger.info(`registered client ${client.clientId}`),
    );
    instance.on('grant.success', (ctx: OidcContext) =>
      logger.info(`issued tokens to client ${ctx.oidc.client?.clientId ?? '?'}`),
    );
    instance.on('grant.error', (_ctx: OidcContext, err: Error & { error_description?: string }) =>
      logger.info(`token request refused: ${err.message} ${err.error_description ?? ''}`.trim()),
    );
    instance.on('authorization.error', (_ctx: OidcContext, err: Error) =>
      logger.info(`authorization request refused: ${err.message}`),
    );
    return instance;
  };

  const activate = () => {
    provider = buildProvider();
    providerHandler = provider.callback();
  };

  const currentProvider = (): OidcProvider => {
    if (!provider) throw new HttpError(503, 'temporarily_unavailable', 'server is starting');
    return provider;
  };

  const clientLabel = async (clientId: unknown): Promise<string> => {
    if (typeof clientId !== 'string') return 'unknown client';
    const client = await currentProvider().Client.find(clientId);
    return client?.clientName ?? clientId;
  };

  const grantConsent = async (
    details: OidcInteraction,
    accept: (scope: string) => boolean,
  ): Promise<string> => {
    const p = currentProvider();
    const accountId = details.session?.accountId;
    const clientId = details.params.client_id;
    if (!accountId || typeof clientId !== 'string') {
      throw new HttpError(400, 'invalid_request', 'sign in first');
    }
    let grant: OidcGrant | undefined;
    if (details.grantId) grant = await p.Grant.find(details.grantId);
    grant ??= new p.Grant({ accountId, clientId });
    grant.rejected = undefined;
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    const oidcScopes = missingOIDCScope ?? [];
    const grantedOidc = oidcScopes.filter((s) => s === 'openid' || accept(s));
    const rejectedOidc = oidcScopes.filter((s) => !grantedOidc.includes(s));
    if (grantedOidc.length) grant.addOIDCScope(grantedOidc.join(' '));
    if (rejectedOidc.length) grant.rejectOIDCScope(rejectedOidc.join(' '));
    if (missingOIDCClaims?.length) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
      const granted = scopes.filter(accept);
      const rejected = scopes.filter((s) => !accept(s));
      if (granted.length) grant.addResourceScope(resource, granted.join(' '));
      if (rejected.length) grant.rejectResourceScope(resource, rejected.join(' '));
    }
    return grant.save();
  };

  const requestedScopes = (details: OidcInteraction): string[] => {
    const { missingOIDCScope, missingResourceScopes } = details.prompt.details;
    return unique([
      ...(missingOIDCScope ?? []).filter((s) => s !== 'openid'),
      ...Object.values(missingResourceScopes ?? {}).flat(),
    ]);
  };

  const requestedResources = (details: OidcInteraction): string[] => {
    const resource = details.params.resource;
    if (typeof resource === 'string') return [resource];
    return Array.isArray(resource)
      ? resource.filter((r): r is string => typeof r === 'string')
      : [];
  };

  const alreadyGranted = async (details: OidcInteraction): Promise<string[]> => {
    if (!details.grantId) return [];
    const grant = await currentProvider().Grant.find(details.grantId);
    if (!grant) return [];
    return unique([
      ...split(grant.getOIDCScope()).filter((s) => s !== 'openid'),
      ...requestedResources(details).flatMap((r) => split(grant.getResourceScope(r))),
    ]);
  };

  const showConsent = async (res: ServerResponse, details: OidcInteraction) => {
    const accountId = details.session?.accountId ?? '';
    sendHtml(
      res,
      200,
      renderConsentPage({
        uid: details.uid,
        clientName: await clientLabel(details.params.client_id),
        username: userBySub.get(accountId)?.username ?? accountId,
        requestedScopes: requestedScopes(details),
        grantedScopes: await alreadyGranted(details),
        resources: requestedResources(details),
      }),
    );
  };

  const handleInteraction = async (
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: string | undefined,
  ) => {
    const p = currentProvider();
    let details: OidcInteraction;
    try {
      details = await p.interactionDetails(req, res);
    } catch {
      throw new HttpError(
        400,
        'invalid_request',
        'this sign-in attempt has expired or was already completed; start again from the application',
      );
    }
    if (details.uid !== uid) {
      throw new HttpError(
        400,
        'invalid_request',
        'interaction does not match this browser session',
      );
    }
    const prompt = details.prompt.name;

    if (action === undefined) {
      if (req.method !== 'GET') throw new HttpError(405, 'invalid_request', 'use GET');
      if (config.autoApproveUser) {
        if (prompt === 'login') {
          logger.info(`auto-approve: signed in ${config.autoApproveUser.username}`);
          await p.interactionFinished(
            req,
            res,
            { login: { accountId: config.autoApproveUser.sub } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        if (prompt === 'consent') {
          const grantId = await grantConsent(details, () => true);
          logger.info(
            `auto-approve: granted ${requestedScopes(details).join(' ') || '(nothing new)'}`,
          );
          await p.interactionFinished(
            req,
            res,
            { consent: { grantId } },
            { mergeWithLastSubmission: true },
          );
          return;
        }
      }
      if (prompt === 'login') {
        sendHtml(
          res,
          200,
          renderLoginPage({ uid, clientName: await clientLabel(details.params.client_id) }),
        );
        return;
      }
      if (prompt === 'consent') {
        await showConsent(res, details);
        return;
      }
      throw new HttpError(400, 'invalid_request', `unsupported prompt ${prompt}`);
    }

    if (req.method !== 'POST') throw new HttpError(405, 'invalid_request', 'use POST');
    const form = await readForm(req);

    if (action === 'login') {
      if (prompt !== 'login') throw new HttpError(400, 'invalid_request', 'already signed in');
      const username = form.get('username') ?? '';
      const user = userByName.get(username);
      if (!user || user.password !== (form.get('password') ?? '')) {
        logger.info(`failed sign-in for ${JSON.stringify(username.slice(0, 64))}`);
        sendHtml(
          res,
          401,
          renderLoginPage({
            uid,
            clientName: await clientLabel(details.params.client_id),
            error: 'Wrong username or password.',
            username,
          }),
        );
        return;
      }
      logger.info(`signed in ${user.username}`);
      await p.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub } },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (action === 'confirm') {
      if (prompt !== 'consent')
        throw new HttpError(400, 'invalid_request', 'nothing to consent to');
      if (form.get('decision') === 'deny') {
        logger.info('user denied the request');
        await p.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'the user denied the request' },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const chosen = new Set(form.getAll('scope'));
      const asked = requestedScopes(details);
      if (asked.length > 0 && !asked.some((scope) => chosen.has(scope))) {
        logger.info('user granted no scopes');
        await p.interactionFinished(
          req,
          res,
          {
            error: 'access_denied',
            error_description: 'the user granted none of the requested scopes',
          },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const grantId = await grantConsent(details, (scope) => chosen.has(scope));
      logger.info(`user granted ${[...chosen].join(' ') || '(no scopes)'}`);
      await p.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return;
    }

    throw new HttpError(404, 'not_found', 'no such page');
  };

  const rotateKeys = async (): Promise<RotateKeysResult> => {
    const next = await generateSigningKey(config.signingAlg);
    const retired = keys[0]!;
    keys = [next, ...keys];
    activate();
    logger.info(`rotated signing key: ${retired.kid} → ${next.kid}`);
    const drop = () => {
      keys = keys.filter((key) => key.kid !== retired.kid);
      if (server.listening) activate();
      logger.info(`dropped retired signing key ${retired.kid}`);
    };
    if (config.keyGraceSeconds === 0) {
      drop();
    } else {
      const timer = setTimeout(() => {
        timers.delete(timer);
        drop();
      }, config.keyGraceSeconds * 1000);
      timer.unref();
      timers.add(timer);
    }
    return { newKid: next.kid, retiredKid: retired.kid };
  };

  const isLoopbackPeer = (req: IncomingMessage) =>
    LOOPBACK_ADDRESSES.has(req.socket.remoteAddress ?? '');

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const interaction = /^\/interaction\/([\w-]+)(?:\/(login|confirm))?\/?$/.exec(path);
    if (interaction) {
      await handleInteraction(req, res, interaction[1]!, interaction[2]);
      return;
    }
    if (path === '/dev/rotate-keys') {
      if (!isLoopbackPeer(req)) throw new HttpError(403, 'access_denied', 'loopback callers only');
      if (req.method !== 'POST') throw new HttpError(405, 'invalid_request', 'use POST');
      const result = await rotateKeys();
      sendJson(res, 200, { ...result, graceSeconds: config.keyGraceSeconds });
      return;
    }
    if (path === '/' && req.method === 'GET') {
      sendHtml(res, 200, renderHomePage(issuer));
      return;
    }
    if (path === '/reg') {
      // Browser-based hosts register from their own origin.
      res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type, authorization',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
    }
    if (!providerHandler) throw new HttpError(503, 'temporarily_unavailable', 'server is starting');
    providerHandler(req, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const known = err instanceof HttpError;
      if (!known)
        logger.error(`request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = known ? err.status : 500;
      const code = known ? err.code : 'server_error';
      const description = known ? err.message : 'unexpected error';
      if ((req.headers.accept ?? '').includes('text/html')) {
        sendHtml(res, status, renderErrorPage(code, description));
      } else {
        sendJson(res, status, { error: code, error_description: description });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  issuer = config.issuer ?? url;
  try {
    activate();
  } catch (err) {
    server.close();
    throw err;
  }
  const jwksUri = `${issuer.replace(/\/$/, '')}/jwks`;
  logger.info(`${DEV_ONLY_NOTICE}: listening on ${url}, issuer ${issuer}`);

  return {
    issuer,
    url,
    jwksUri,
    port,
    rotateKeys,
    publishedKids: () => keys.map((key) => key.kid),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
