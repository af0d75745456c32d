import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createServer as createTcpServer } from 'node:net';

/** A scripted HTTP listener on 127.0.0.1 (an authorization server that misbehaves). */
export interface HttpListener {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request received, as `METHOD path`, in order. */
  readonly requests: string[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** A TCP listener that accepts connections and never answers. */
export interface SilentListener {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

function listenOn(server: NetServer): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

/**
 * Starts an HTTP listener on 127.0.0.1 (free port) answering with `handler`, and records every
 * request it receives.
 *
 * @example
 * ```ts
 * const redirect = await startHttpListener((_req, res) => {
 *   res.writeHead(302, { location: `${attacker.url}/jwks` }).end();
 * });
 * ```
 */
export async function startHttpListener(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<HttpListener> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    handler(request, response);
  });
  const url = await listenOn(server);
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts a TCP listener on 127.0.0.1 (free port) that accepts every connection, reads what it
 * is sent and never writes a byte: an issuer that hangs.
 *
 * @example
 * ```ts
 * const silent = await startSilentListener();
 * // issuer: silent.url — every fetch waits until the client gives up
 * ```
 */
export async function startSilentListener(): Promise<SilentListener> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  const url = await listenOn(server);
  return {
    url,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
