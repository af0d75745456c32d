import { createServer } from 'node:net';

/**
 * Asks the operating system for a TCP port that is free right now on `host`, by listening on
 * port 0 and closing again. Another process could take it before it is used; that window is
 * small enough for local demos and tests.
 *
 * @example
 * ```ts
 * const port = await findFreePort(); // e.g. 41873
 * ```
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}

/**
 * Resolves `true` when nothing accepts connections on `host:port` yet (the port can be
 * listened on), `false` when it is taken.
 *
 * @example
 * ```ts
 * if (!(await isPortFree(9400))) throw new Error('port 9400 is in use');
 * ```
 */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host }, () => server.close(() => resolve(true)));
  });
}
