/**
 * Minimal typings for the parts of `oidc-provider` 9 this server uses. The package ships no
 * TypeScript declarations of its own.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface OidcGrant {
    jti?: string;
    accountId?: string;
    clientId?: string;
    rejected?: unknown;
    addOIDCScope(scope: string): void;
    rejectOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    rejectResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    getResourceScope(resource: string): string;
    save(): Promise<string>;
  }

  export interface OidcGrantConstructor {
    new (payload: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  }

  export interface OidcInteraction {
    uid: string;
    grantId?: string;
    params: Record<string, unknown>;
    prompt: {
      name: string;
      reasons: string[];
      details: {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
    };
    session?: { accountId?: string };
  }

  export interface OidcClient {
    clientId: string;
    clientName?: string;
    redirectUris: string[];
    clientAuthMethod: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  export interface OidcSession {
    accountId?: string;
    grantIdFor(clientId: string): string | undefined;
  }

  export interface OidcContext {
    path: string;
    method: string;
    status: number;
    type: string;
    body: unknown;
    oidc: {
      route: string;
      client?: OidcClient;
      session: OidcSession;
      result?: { consent?: { grantId?: string } } & Record<string, unknown>;
      provider: Provider;
    };
  }

  export type KoaMiddleware = (ctx: OidcContext, next: () => Promise<void>) => Promise<void>;

  export class Provider {
    constructor(issuer: string, configuration?: object);
    readonly issuer: string;
    readonly Grant: OidcGrantConstructor;
    readonly Client: { find(id: string): Promise<OidcClient | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: KoaMiddleware): this;
    on(event: string, listener: (...args: never[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: object,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }

  export const errors: Record<string, new (description?: string) => Error>;
  export default Provider;
}
