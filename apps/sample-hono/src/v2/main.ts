import { DEFAULT_PORT, readConfig } from '../config.js';
import { readStateless, startServer } from './app.js';

// Entry point on MCP SDK v2: `npm run start:v2`. The same environment as `npm start`, plus
// MCP_STATELESS=1 to serve every request on its own. Shuts down on SIGINT/SIGTERM.
try {
  const config = readConfig(process.env);
  const stateless = readStateless(process.env);
  const server = await startServer(config, { stateless });
  console.log(
    `MCP sample (Hono, MCP SDK v2, ${stateless ? 'stateless' : 'stateful'}) listening on ${server.url}`,
  );
  console.log(`  MCP endpoint (Streamable HTTP): ${server.mcpUrl}`);
  console.log(`  Resource (token audience):      ${server.resourceUrl}`);
  console.log(`  Protected Resource Metadata:    ${server.metadataUrl}`);
  const servers = (config.authorizationServers ?? [config.issuer]).join(', ');
  console.log(
    `  Authorization server:           ${servers}${config.provider ? ` (${config.provider})` : ''}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // second signal: stop now
    stopping = true;
    console.log(`${signal}: closing sessions and shutting down`);
    setTimeout(() => process.exit(1), 5000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  // The authorization server, checked now: a mismatch stops the server with the exact cause;
  // one that cannot be reached yet is a warning, and requests get 503 until it answers.
  const report = await server.ready();
  if (report.ready) console.log('  Authorization server metadata and signing keys loaded');
} catch (error) {
  const code = (error as { code?: unknown }).code;
  const message =
    code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL'
      ? `cannot listen on ${process.env.HOST || '127.0.0.1'}:${process.env.PORT || DEFAULT_PORT} (${code})`
      : error instanceof Error
        ? error.message
        : String(error);
  console.error(`sample-hono: ${message}`);
  process.exit(1);
}
