import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestIssuerServer } from './create-test-issuer.js';

/**
 * Serves a fetch-style handler over HTTP on 127.0.0.1 on a free port. A handler that throws
 * (the `'network'` outage) drops the connection without an answer.
 *
 * @example
 * ```ts
 * const server = await listenTestIssuer(issuer.handler);
 * await fetch(`${server.url}/jwks`);
 * await server.close();
 * ```
 */
export async function listenTestIssuer(
  handler: (request: Request) => Promise<Response>,
): Promise<TestIssuerServer> {
  const { createServer } = await import('node:http');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const request = new Request(new URL(req.url ?? '/', 'http://127.0.0.1'), {
      method: req.method ?? 'GET',
      signal: controller.signal,
    });
    handler(request).then(
      async (response) => {
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        const body = req.method === 'HEAD' ? '' : await response.text();
        res.writeHead(response.status, headers);
        res.end(body);
      },
      () => {
        req.socket.destroy();
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
