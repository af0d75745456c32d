import type { RunningServer } from './app.js';
import { DEFAULT_PORT, readConfig, type SampleConfig } from './config.js';

/**
 * What both entries (`npm start`, `npm run start:v2`) do: read the environment, listen, print
 * where, check the authorization server, and shut down on SIGINT/SIGTERM. A bad variable, a
 * port in use or an issuer that does not match stops the process with one line and exit code 1.
 *
 * @example
 * ```ts
 * await serve((config) => startServer(config), () => 'Fastify');
 * ```
 */
export async function serve(
  start: (config: SampleConfig) => Promise<RunningServer>,
  label: () => string,
): Promise<void> {
  try {
    const config = readConfig(process.env);
    const server = await start(config);
    console.log(`MCP sample (${label()}) listening on ${server.url}`);
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

    // The authorization server, checked now: one that answers but does not match the issuer (a
    // trailing slash, localhost for 127.0.0.1, an extra path) stops the server with the exact
    // cause; one that cannot be reached yet is a warning (the logger prints it) and requests
    // get 503 until it answers.
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
    console.error(`sample-fastify: ${message}`);
    process.exit(1);
  }
}
