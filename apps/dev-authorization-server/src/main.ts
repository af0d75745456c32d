import { readEnvOptions } from './read-env-options.js';
import { DEFAULT_USERS, startDevAuthorizationServer } from './start-dev-authorization-server.js';

const banner = (lines: string[]): string => {
  const width = Math.max(...lines.map((l) => l.length));
  const rule = `+${'-'.repeat(width + 2)}+`;
  return [rule, ...lines.map((l) => `| ${l.padEnd(width)} |`), rule].join('\n');
};

async function main(): Promise<void> {
  const options = readEnvOptions(process.env);
  const verbose = process.env.DEV_AS_LOG !== 'quiet';
  const server = await startDevAuthorizationServer({
    ...options,
    logger: {
      info: (message) => verbose && console.log(`[dev-as] ${message}`),
      warn: (message) => console.warn(`[dev-as] ${message}`),
      error: (message) => console.error(`[dev-as] ${message}`),
    },
  });
  const auto = options.autoApprove;
  console.log(
    banner([
      'DEVELOPMENT ONLY — do not use in production.',
      'Local OAuth 2.1 authorization server (oidc-provider).',
      '',
      `issuer:    ${server.issuer}`,
      `metadata:  ${server.issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`,
      `jwks:      ${server.jwksUri}`,
      `users:     ${(options.users ?? DEFAULT_USERS).map((u) => `${u.username} / ${u.password}`).join(', ')}`,
      `dpop:      ${options.dpop ? 'on (DPoP-bound tokens for clients that send a proof)' : 'off (Bearer tokens only)'}`,
      `approval:  ${auto ? `automatic as ${auto === true ? 'the first user' : auto.username}` : 'login + consent page'}`,
      `rotate:    curl -X POST ${server.url}/dev/rotate-keys`,
    ]),
  );
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`[dev-as] failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
