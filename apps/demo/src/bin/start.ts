import {
  type DevAuthorizationServer,
  DEFAULT_PORT,
  startDevAuthorizationServer,
} from '@org/mcp-auth-dev-authorization-server';
import { isPortFree } from '../find-free-port.js';
import { type RunningSample, SAMPLE_NAMES, startSample } from '../start-sample.js';

const SAMPLE_PORTS = { express: 3001, fastify: 3002, hono: 3003 } as const;
const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[0m` : text);
const dim = (text: string) => (color ? `\u001b[2m${text}\u001b[0m` : text);

let as: DevAuthorizationServer | undefined;
const samples: RunningSample[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (as || samples.length) console.log('\nstopping the authorization server and the samples…');
    await Promise.allSettled(samples.map((sample) => sample.stop()));
    await as?.close().catch(() => undefined);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  const ports = [DEFAULT_PORT, ...Object.values(SAMPLE_PORTS)];
  const busy = [];
  for (const port of ports) if (!(await isPortFree(port))) busy.push(port);
  if (busy.length) {
    throw new Error(
      `port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} already in use on 127.0.0.1 — stop what runs there (an earlier \`pnpm start\`?) and try again`,
    );
  }

  as = await startDevAuthorizationServer({
    port: DEFAULT_PORT,
    logger: {
      info: (m) => console.log(dim(`[dev-as] ${m}`)),
      warn: (m) => console.warn(`[dev-as] ${m}`),
      error: (m) => console.error(`[dev-as] ${m}`),
    },
  });
  const issuer = as.issuer;
  const started = await Promise.allSettled(
    SAMPLE_NAMES.map((name) =>
      startSample({
        name,
        port: SAMPLE_PORTS[name],
        issuer,
        onOutput: (line) => console.log(dim(`[sample-${name}] ${line}`)),
      }),
    ),
  );
  for (const result of started) if (result.status === 'fulfilled') samples.push(result.value);
  const failed = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length) throw new Error(failed.map((e) => e.message).join('\n'));

  const rows = samples.map((s) => `  ${`sample-${s.name}`.padEnd(16)} ${s.resource}`);
  console.log(`
${bold('mcp-auth: local stack running')}  ${dim('(development only — test users, in-memory state)')}

  authorization server  ${issuer}   users alice/alice, bob/bob
${rows.join('\n')}

${bold('Connect MCP Inspector')}
  npx @modelcontextprotocol/inspector
  → Transport Type: Streamable HTTP, URL: ${samples[0]?.resource ?? 'http://127.0.0.1:3001/mcp'}
  → "Open Auth Settings" → "Quick OAuth Flow" (or just Connect); sign in as alice / alice,
    tick the scopes to grant, Approve. Then list and call the tools.

${bold('Other hosts')} (any MCP client that speaks Streamable HTTP + OAuth)
  VS Code  .vscode/mcp.json: { "servers": { "todos": { "type": "http", "url": "${samples[0]?.resource}" } } }
  Claude Code:  claude mcp add --transport http todos ${samples[0]?.resource}
  Cursor  ~/.cursor/mcp.json: { "mcpServers": { "todos": { "url": "${samples[0]?.resource}" } } }

  Tools: list_todos (todo:read), add_todo (todo:write), list_events (calendar:read),
         create_event (calendar:write), whoami (any valid token)
  Rotate the signing keys:  curl -X POST ${as.url}/dev/rotate-keys

Press Ctrl-C to stop everything.
`);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

main().catch(async (error: unknown) => {
  console.error(`pnpm start: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
});
