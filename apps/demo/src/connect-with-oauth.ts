import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { InMemoryOAuthClientProvider } from './in-memory-oauth-client-provider.js';

/**
 * Options of {@link connectWithOAuth}.
 *
 * @example
 * ```ts
 * const options: ConnectWithOAuthOptions = { url: 'http://127.0.0.1:3001/mcp', provider };
 * ```
 */
export interface ConnectWithOAuthOptions {
  /** The MCP endpoint. */
  url: string | URL;
  /** Holds the registration and tokens; completes authorizations. */
  provider: InMemoryOAuthClientProvider;
  /** `fetch` for the transport and the SDK's OAuth requests (to observe them). */
  fetch?: typeof fetch;
  /** Client name sent in `initialize`. Default `'mcp-auth-demo'`. */
  clientName?: string;
}

/**
 * A connected MCP client, its transport and its OAuth provider.
 *
 * @example
 * ```ts
 * const session: OAuthSession = await connectWithOAuth({ url, provider });
 * await session.client.close();
 * ```
 */
export interface OAuthSession {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: InMemoryOAuthClientProvider;
}

/**
 * Connects the MCP SDK client over Streamable HTTP, authorizing on the way: the server's 401
 * makes the SDK discover the metadata, register and call the provider's authorization; the
 * SDK then throws `UnauthorizedError`, the code is exchanged with `transport.finishAuth()`
 * and the connection is made again with the token.
 *
 * @example
 * ```ts
 * const { client } = await connectWithOAuth({ url: 'http://127.0.0.1:3001/mcp', provider });
 * console.log(await client.listTools());
 * ```
 */
export async function connectWithOAuth(options: ConnectWithOAuthOptions): Promise<OAuthSession> {
  const url = new URL(options.url);
  const { provider } = options;
  const attempt = async (): Promise<OAuthSession> => {
    const transport = new StreamableHTTPClientTransport(url, {
      authProvider: provider,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const client = new Client({ name: options.clientName ?? 'mcp-auth-demo', version: '0.0.0' });
    try {
      await client.connect(transport);
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        await transport.finishAuth(provider.takeAuthorizationCode());
      }
      throw error;
    }
    return { client, transport, provider };
  };
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    return attempt();
  }
}

/**
 * Calls a tool; when the server asks for more scope (403 `insufficient_scope`) the SDK runs
 * the authorization again for the scopes the challenge names, then the code is exchanged and
 * the call repeated once.
 *
 * @example
 * ```ts
 * const result = await callToolWithOAuth(session, 'add_todo', { title: 'Buy milk' });
 * ```
 */
export async function callToolWithOAuth(
  session: OAuthSession,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  const call = async () =>
    (await session.client.callTool({ name, arguments: args })) as CallToolResult;
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    await session.transport.finishAuth(session.provider.takeAuthorizationCode());
    return call();
  }
}

/**
 * The text of a tool result's `text` content items, joined by newlines.
 *
 * @example
 * ```ts
 * console.log(toolText(await callToolWithOAuth(session, 'whoami')));
 * ```
 */
export function toolText(result: CallToolResult): string {
  return result.content.flatMap((item) => (item.type === 'text' ? [item.text] : [])).join('\n');
}
