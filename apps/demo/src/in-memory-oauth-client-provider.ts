import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * Options of {@link InMemoryOAuthClientProvider}.
 *
 * @example
 * ```ts
 * const options: InMemoryOAuthClientProviderOptions = {
 *   authorize: async (url) => (await driveAuthorization(url)).code ?? '',
 * };
 * ```
 */
export interface InMemoryOAuthClientProviderOptions {
  /**
   * Takes the user through the authorization URL (login and consent, in a browser or
   * scripted) and resolves with the authorization code the redirect carried. Called from
   * `redirectToAuthorization`; a rejection fails the MCP request that needed authorization.
   */
  authorize: (authorizationUrl: URL) => Promise<string> | string;
  /** The registered redirect URI. Default `'http://127.0.0.1:8976/callback'`. */
  redirectUrl?: string;
  /** `client_name` sent in the dynamic registration. Default `'mcp-auth demo client'`. */
  clientName?: string;
  /**
   * Register for the `refresh_token` grant too. Default `false`: the SDK refreshes instead of
   * asking for more scope when it holds a refresh token, which would defeat a step-up.
   */
  refreshTokens?: boolean;
}

/**
 * An `OAuthClientProvider` for the MCP SDK's client that keeps everything in memory (client
 * registration, tokens, PKCE verifier, discovery state) and completes the authorization
 * itself through the `authorize` callback. After the SDK throws `UnauthorizedError`, pass
 * {@link InMemoryOAuthClientProvider.takeAuthorizationCode} to `transport.finishAuth()`.
 *
 * @example
 * ```ts
 * const provider = new InMemoryOAuthClientProvider({
 *   authorize: async (url) => {
 *     const { code, error } = await driveAuthorization(url, { username: 'alice' });
 *     if (!code) throw new Error(error);
 *     return code;
 *   },
 * });
 * const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
 * ```
 */
export class InMemoryOAuthClientProvider implements OAuthClientProvider {
  readonly #options: InMemoryOAuthClientProviderOptions;
  #clientInformation: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #codeVerifier: string | undefined;
  #pendingCode: string | undefined;
  #state: string | undefined;

  constructor(options: InMemoryOAuthClientProviderOptions) {
    if (typeof options?.authorize !== 'function') {
      throw new TypeError('InMemoryOAuthClientProvider: "authorize" must be a function');
    }
    if (options.redirectUrl !== undefined && !URL.canParse(options.redirectUrl)) {
      throw new TypeError('InMemoryOAuthClientProvider: "redirectUrl" must be an absolute URL');
    }
    this.#options = options;
  }

  get redirectUrl(): string {
    return this.#options.redirectUrl ?? 'http://127.0.0.1:8976/callback';
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.#options.clientName ?? 'mcp-auth demo client',
      redirect_uris: [this.redirectUrl],
      grant_types: this.#options.refreshTokens
        ? ['authorization_code', 'refresh_token']
        : ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    this.#state = randomBytes(16).toString('base64url');
    return this.#state;
  }

  /** The `state` sent with the latest authorization request. */
  get lastState(): string | undefined {
    return this.#state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#clientInformation;
  }

  saveClientInformation(clientInformation: OAuthClientInformationMixed): void {
    this.#clientInformation = clientInformation;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.#pendingCode = undefined;
    const code = await this.#options.authorize(authorizationUrl);
    if (typeof code !== 'string' || code === '') {
      throw new Error('the authorization ended without an authorization code');
    }
    this.#pendingCode = code;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (this.#codeVerifier === undefined) throw new Error('no PKCE code verifier was saved');
    return this.#codeVerifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'client') this.#clientInformation = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#codeVerifier = undefined;
  }

  /**
   * The code from the latest completed authorization, once: pass it to
   * `transport.finishAuth()`. Throws when no authorization has completed since the last call.
   */
  takeAuthorizationCode(): string {
    const code = this.#pendingCode;
    if (code === undefined) throw new Error('no authorization code is waiting to be exchanged');
    this.#pendingCode = undefined;
    return code;
  }
}
