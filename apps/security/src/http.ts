import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

/** Request headers as sent on the wire: a repeated name is a repeated pair. */
export type HeaderPairs = ReadonlyArray<readonly [string, string]>;

/**
 * A request sent with `node:http`, path verbatim (no URL normalisation: `/%6Dcp`, `/mcp/../mcp`
 * and `//mcp` reach the server as written).
 *
 * @example
 * ```ts
 * const req: RawRequest = { method: 'POST', path: '/mcp', headers: [['Authorization', 'Bearer a']], body: '{}' };
 * ```
 */
export interface RawRequest {
  /** Default `GET`. */
  method?: string;
  /** Path and query, sent as written. Default `/mcp`. */
  path?: string;
  headers?: HeaderPairs;
  body?: string | Uint8Array;
  /**
   * Stop reading the body after this many milliseconds (a long-lived SSE stream): the response
   * is resolved with what arrived and the connection is dropped. Default: read to the end.
   */
  readForMs?: number;
  /** Give up (reject) after this many milliseconds. Default 15 000. */
  timeoutMs?: number;
}

/**
 * A response as received: header names lower-cased, repeated headers joined with `, ` (and kept
 * separately in `rawHeaders`).
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Name/value pairs as received, repeats kept. */
  rawHeaders: Array<[string, string]>;
  text: string;
}

/** The headers as Node's client sends them: a repeated name becomes an array (repeated lines). */
function toOutgoing(pairs: HeaderPairs): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const previous = out[key];
    if (previous === undefined) out[key] = value;
    else out[key] = [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return out;
}

/**
 * Sends one request to `baseUrl` (`http://127.0.0.1:<port>`) on a fresh connection and reads the
 * response. Never follows redirects. Rejects only on a network error or the timeout.
 *
 * @example
 * ```ts
 * const res = await sendRaw(server.url, { method: 'GET', path: '/%6Dcp' });
 * ```
 */
export function sendRaw(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? Buffer.from(request.body, 'utf8')
        : Buffer.from(request.body);
  const pairs: Array<readonly [string, string]> = [...(request.headers ?? [])];
  if (body !== undefined && !pairs.some(([n]) => n.toLowerCase() === 'content-length')) {
    pairs.push(['Content-Length', String(body.length)]);
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(response as RawResponse);
    };
    const req = httpRequest(
      {
        host: hostname,
        port: Number(port),
        method: request.method ?? 'GET',
        path: request.path ?? '/mcp',
        headers: toOutgoing(pairs),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const rawHeaders: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          rawHeaders.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of rawHeaders) {
          const key = name.toLowerCase();
          headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
        }
        const done = () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            headers,
            rawHeaders,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
        if (request.readForMs !== undefined) {
          setTimeout(() => {
            done();
            req.destroy();
          }, request.readForMs);
        }
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`${request.method ?? 'GET'} ${request.path ?? '/mcp'} timed out`));
    }, request.timeoutMs ?? 15_000);
    req.on('error', (error) => finish(error));
    req.end(body);
  });
}

/**
 * Writes `raw` bytes as they are to a TCP connection on `baseUrl`'s host and port and returns
 * everything the server answers until it closes or `waitMs` pass — for requests `node:http`
 * refuses to send (bare CR/LF, obsolete line folding).
 *
 * @example
 * ```ts
 * const answer = await sendRawBytes(server.url, 'GET /mcp HTTP/1.1\r\nHost: x\r\n\r\n');
 * ```
 */
export function sendRawBytes(baseUrl: string, raw: string, waitMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('connect', () => socket.write(raw));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * The JSON-RPC messages of a response body: every `data:` line of a `text/event-stream`
 * answer, or the JSON body itself (an array gives each element).
 *
 * @example
 * ```ts
 * const [first] = jsonRpcMessages(res);
 * ```
 */
export function jsonRpcMessages(response: RawResponse): Array<Record<string, unknown>> {
  const type = response.headers['content-type'] ?? '';
  const values: unknown[] = [];
  if (type.startsWith('text/event-stream')) {
    for (const line of response.text.split(/\r?\n/)) {
      if (line.startsWith('data:')) values.push(JSON.parse(line.slice(5).trim()));
    }
  } else if (response.text.trim() !== '') {
    const parsed: unknown = JSON.parse(response.text);
    values.push(...(Array.isArray(parsed) ? parsed : [parsed]));
  }
  return values.filter(
    (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v),
  );
}
