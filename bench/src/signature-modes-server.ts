/**
 * A server for `signature-modes.ts`: every POST verifies its bearer token without a cache,
 * through one signature path of the core (jose's Web Crypto, or node:crypto called
 * synchronously or in its callback form). Config in argv[2]; reports its port, and its CPU
 * time on request, over IPC.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteKeySet } from '../../packages/core/src/remote-key-set.js';
import { resolveJwtOptions } from '../../packages/core/src/resolve-jwt-options.js';
import { createJwtVerification } from '../../packages/core/src/verify-jwt.js';

interface Config {
  issuer: string;
  jwksUri: string;
  resource: string;
  path: 'jose' | 'node';
  mode: 'sync' | 'callback';
}
const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const options = resolveJwtOptions({
  issuer: config.issuer,
  jwksUri: config.jwksUri,
  resource: config.resource,
});
const keySet = createRemoteKeySet({
  issuer: options.issuer,
  jwksUri: options.jwksUri,
  fetch: options.fetch,
  timeoutMs: options.timeoutMs,
  cooldownMs: options.jwksCooldownMs,
  maxResponseBytes: options.maxResponseBytes,
});
const verify = createJwtVerification(options, keySet, config.path, config.mode);

const server = createServer((req, res) => {
  req.resume();
  const token = (req.headers.authorization ?? '').slice('Bearer '.length);
  verify(token).then(
    () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    () => res.writeHead(401).end(),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port }),
);
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'cpu', micros: user + system });
  }
});
process.on('disconnect', () => process.exit(0));
