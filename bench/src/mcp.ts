/**
 * The MCP macro run's client side: which MCP servers run, the session a stateful one opens
 * before it is measured, the check that each answers the tool's result, and the measured load
 * (`tools/call` of `echo`, with a reused valid token for the protected variant).
 */
import type { Load, RunningServer } from './macro.js';
import type { Framework, McpMode, ServerConfig, Variant } from './server.js';

export const MCP_PROTOCOL_VERSION = '2025-06-18';
export const MCP_MODES: McpMode[] = ['stateless', 'stateful'];
const FRAMEWORKS: Framework[] = ['express', 'fastify', 'hono'];
/** What the `echo` tool is asked to answer: found in the response, the call went through. */
const ECHO_TEXT = 'bench-echo-result';
export const MCP_CALL = JSON.stringify({
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: ECHO_TEXT } },
});

/** One MCP server: what it adds to the issuer's part of its {@link ServerConfig}. */
export interface McpServerSpec {
  framework: Framework;
  variant: Variant;
  mcp: McpMode;
}

/** Each MCP group (framework × mode): bare first (the baseline), then ours. */
export const MCP_GROUPS: Array<Array<McpServerSpec>> = FRAMEWORKS.flatMap((framework) =>
  MCP_MODES.map((mcp) =>
    (['bare', 'ours'] as Variant[]).map((variant) => ({ framework, variant, mcp })),
  ),
);

/** `express-mcp-stateless-bare`: the name startServer gives such a server. */
export const mcpServerName = (framework: Framework, mode: McpMode, variant: Variant) =>
  `${framework}-mcp-${mode}-${variant}`;

/** A server ready to be measured: its load carries the token, and the session id if any. */
export interface McpTarget {
  server: RunningServer;
  load: Load;
}

async function post(
  server: RunningServer,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string; sessionId: string | null }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.status,
    text: await response.text(),
    sessionId: response.headers.get('mcp-session-id'),
  };
}

/**
 * Opens the server's session if it is stateful (`initialize` + `notifications/initialized`),
 * then checks once that a `tools/call` answers 200 with the tool's result; throws otherwise.
 * `token`: the reused valid token (sent to every server: the bare ones ignore it).
 */
export async function prepareMcpTarget(server: RunningServer, token: string): Promise<McpTarget> {
  const headers: Record<string, string> = {
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MCP_PROTOCOL_VERSION,
    authorization: `Bearer ${token}`,
  };
  if (server.name.includes('-stateful-')) {
    const init = await post(
      server,
      headers,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: MCP_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'bench', version: '0.0.0' },
        },
      }),
    );
    if (init.status !== 200 || init.sessionId === null)
      throw new Error(`${server.name}: initialize answered ${init.status}: ${init.text}`);
    headers['mcp-session-id'] = init.sessionId;
    const initialized = await post(
      server,
      headers,
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    );
    if (initialized.status !== 202)
      throw new Error(`${server.name}: notifications/initialized answered ${initialized.status}`);
  }
  const call = await post(server, headers, MCP_CALL);
  if (call.status !== 200 || !call.text.includes('"result"') || !call.text.includes(ECHO_TEXT))
    throw new Error(`${server.name}: tools/call answered ${call.status}: ${call.text}`);
  // The bare servers get the same request, token included, as the fixed-object runs send.
  return { server, load: { headers, body: MCP_CALL } };
}

/** Checks that a protected MCP server refuses a `tools/call` without a token (401). */
export async function checkMcpRefusal(target: McpTarget): Promise<void> {
  const headers = Object.entries(target.load.headers ?? {}).filter(([k]) => k !== 'authorization');
  const { status } = await post(target.server, Object.fromEntries(headers), MCP_CALL);
  if (status !== 401) throw new Error(`${target.server.name}: no token answered ${status}`);
}
