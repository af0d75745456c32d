import {
  type MintAccessTokenOptions,
  type RunningTestIssuer,
  type StartTestIssuerOptions,
  startTestIssuer,
} from '@org/mcp-auth-testing';
import type { CryptoKey } from 'jose';
import { afterAll, beforeAll, describe } from 'vitest';
import { signJwt } from './forge.js';
import { captureLogs, type LogCapture } from './log-capture.js';
import {
  ADAPTERS,
  type AdapterName,
  type SecurityServer,
  type SecurityServerOptions,
  startSecurityServer,
} from './servers.js';

/** Options of {@link startSecurityEnvironment}. */
export interface SecurityEnvironmentOptions extends Omit<SecurityServerOptions, 'issuer'> {
  /** Which adapters to start. Default all three. */
  adapters?: readonly AdapterName[];
  /** Options of the test issuer (served on 127.0.0.1). */
  issuer?: StartTestIssuerOptions;
}

/** Options of {@link SecurityEnvironment.mint}. */
export interface MintOptions extends MintAccessTokenOptions {
  /** `scope` claim (space-delimited). Default none. */
  scope?: string;
  /** `sub` claim. Default `alice`. */
  sub?: string;
}

/** Options of {@link SecurityEnvironment.forge}. */
export interface ForgeOptions {
  /** Protected header; `typ: at+jwt` and the issuer key's `kid` are not added for you. */
  header: Record<string, unknown> & { alg: string };
  /** Claims merged over {@link SecurityEnvironment.claims}'s valid defaults. */
  claims?: Record<string, unknown>;
  key: CryptoKey | Uint8Array;
  /** Extension parameters to treat as understood while signing (`crit`). */
  crit?: Record<string, boolean>;
}

/** One issuer and one server per adapter, plus every token handed out (for the leak checks). */
export interface SecurityEnvironment {
  readonly issuer: RunningTestIssuer;
  readonly servers: readonly SecurityServer[];
  /** The server behind `adapter`. */
  server(adapter: AdapterName): SecurityServer;
  /** Valid claims for `server` (its `aud`, the issuer, subject `alice`, five minutes). */
  claims(server: SecurityServer, overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A genuine access token for `server`, signed by the issuer. */
  mint(server: SecurityServer, options?: MintOptions): Promise<string>;
  /** A forged token: valid claims for `server`, the header and key you choose. */
  forge(server: SecurityServer, options: ForgeOptions): Promise<string>;
  /** Records a token made elsewhere so the leak checks look for it too; returns it. */
  remember(token: string): string;
  /** Every token minted, forged or remembered so far. */
  secrets(): string[];
  /** What the process logged since start (console, stdout, stderr) plus each server's own log. */
  logs(): string[];
  close(): Promise<void>;
}

/**
 * Starts the test issuer and one MCP server per adapter, all on 127.0.0.1, and captures the
 * process's logs until `close()`.
 *
 * @example
 * ```ts
 * const env = await startSecurityEnvironment({ policy: { ...SCOPE_POLICY, denyUnnamedTools: true } });
 * const token = await env.mint(env.server('hono'), { scope: 'todo:read' });
 * await env.close();
 * ```
 */
export async function startSecurityEnvironment(
  options: SecurityEnvironmentOptions = {},
): Promise<SecurityEnvironment> {
  const { adapters = ADAPTERS, issuer: issuerOptions, ...serverOptions } = options;
  const capture: LogCapture = captureLogs();
  const issuer = await startTestIssuer({ subject: 'alice', ...issuerOptions });
  const servers: SecurityServer[] = [];
  try {
    for (const adapter of adapters) {
      servers.push(await startSecurityServer(adapter, { ...serverOptions, issuer: issuer.issuer }));
    }
  } catch (error) {
    await Promise.allSettled(servers.map((s) => s.close()));
    await issuer.close();
    capture.restore();
    throw error;
  }
  const secrets = new Set<string>();
  const remember = (token: string) => {
    secrets.add(token);
    return token;
  };
  const claims = (server: SecurityServer, overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: issuer.issuer,
      aud: server.resource,
      sub: 'alice',
      client_id: 'test-client',
      iat: now,
      exp: now + 300,
      jti: crypto.randomUUID(),
      ...overrides,
    };
  };
  return {
    issuer,
    servers,
    server(adapter) {
      const found = servers.find((s) => s.adapter === adapter);
      if (found === undefined) throw new Error(`no ${adapter} server in this environment`);
      return found;
    },
    claims,
    async mint(server, mint = {}) {
      const { scope, sub, claims: extra, ...rest } = mint;
      const token = await issuer.mintAccessToken({
        ...rest,
        claims: {
          aud: server.resource,
          ...(sub === undefined ? {} : { sub }),
          ...(scope === undefined ? {} : { scope }),
          ...extra,
        },
      });
      return remember(token);
    },
    async forge(server, forge) {
      const token = await signJwt({
        header: forge.header,
        payload: claims(server, forge.claims),
        key: forge.key,
        ...(forge.crit === undefined ? {} : { crit: forge.crit }),
      });
      return remember(token);
    },
    remember,
    secrets: () => [...secrets],
    logs: () => [...capture.lines, ...servers.flatMap((s) => s.logs)],
    async close() {
      await Promise.allSettled(servers.map((s) => s.close()));
      await issuer.close();
      capture.restore();
    },
  };
}

/**
 * Vitest hooks around {@link startSecurityEnvironment}: started in `beforeAll`, closed in
 * `afterAll`. The returned handle is usable inside tests (and hooks registered after this call).
 *
 * @example
 * ```ts
 * const env = useSecurityEnvironment();
 * describe.each(ADAPTERS)('%s', (adapter) => {
 *   it('refuses alg none', async () => { const server = env.server(adapter); ... });
 * });
 * ```
 */
export function useSecurityEnvironment(
  options: SecurityEnvironmentOptions = {},
): SecurityEnvironment {
  let current: SecurityEnvironment | undefined;
  const env = (): SecurityEnvironment => {
    if (current === undefined) throw new Error('the security environment is not started yet');
    return current;
  };
  beforeAll(async () => {
    current = await startSecurityEnvironment(options);
  });
  afterAll(async () => {
    await current?.close();
  });
  return {
    get issuer() {
      return env().issuer;
    },
    get servers() {
      return env().servers;
    },
    server: (adapter) => env().server(adapter),
    claims: (server, overrides) => env().claims(server, overrides),
    mint: (server, mint) => env().mint(server, mint),
    forge: (server, forge) => env().forge(server, forge),
    remember: (token) => env().remember(token),
    secrets: () => env().secrets(),
    logs: () => env().logs(),
    close: () => env().close(),
  };
}

/**
 * `describe.each` over the three adapters: `body` runs once per adapter, the title gets the
 * adapter's name appended.
 *
 * @example
 * ```ts
 * const env = useSecurityEnvironment();
 * describeEachAdapter('alg none', (adapter) => {
 *   it('is refused', async () => { const server = env.server(adapter); ... });
 * });
 * ```
 */
export function describeEachAdapter(title: string, body: (adapter: AdapterName) => void): void {
  describe.each(ADAPTERS)(`${title} (%s)`, body);
}
