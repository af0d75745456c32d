import { McpAuthConfigError, McpAuthError, type McpAuthErrorCode } from './errors.js';

/**
 * Default cap on the body of an outbound response (JWKS, authorization server metadata,
 * token introspection): 256 KiB. Real key sets and metadata documents are a few KiB; the cap
 * only has to stop a hostile or broken server from filling memory.
 *
 * @see RFC 7517 §5 (JWK Set), RFC 8414 §3.2 (metadata response), RFC 7662 §2.2
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

/** Longest upstream `Retry-After` passed on, seconds. */
const MAX_RETRY_AFTER = 3600;

/**
 * Why an outbound fetch failed:
 * - `unreachable`: `fetch` rejected (refused or reset connection, DNS, TLS);
 * - `timeout`: the deadline passed before the whole body had arrived;
 * - `redirect`: the server answered with a redirect (3xx, or an opaque redirect), which is
 *   never followed;
 * - `http_status`: any other status outside 200–299;
 * - `too_large`: the body is longer than the cap (by `Content-Length` or by counting);
 * - `invalid_json`: the body is not JSON.
 *
 * @see {@link BoundedFetchError}
 */
export type BoundedFetchFailure =
  | 'unreachable'
  | 'timeout'
  | 'redirect'
  | 'http_status'
  | 'too_large'
  | 'invalid_json';

/** Options of {@link BoundedFetchError}. */
export interface BoundedFetchErrorOptions {
  /** The status the server answered, when it answered. */
  upstreamStatus?: number | undefined;
  /** The server's `Retry-After` in seconds (delta-seconds form, 1–3600), when it sent one. */
  upstreamRetryAfter?: number | undefined;
  /** The underlying error (e.g. the `TypeError` of a failed connection). */
  cause?: unknown;
}

/**
 * The failure of an outbound fetch made by {@link fetchJsonBounded}: an {@link McpAuthError}
 * (503, the code the caller chose) with a typed {@link BoundedFetchFailure} `failure`, so code
 * decides by `failure`, never by message. The message names what was fetched but never its URL.
 *
 * @see RFC 9110 §10.2.3 (`Retry-After`)
 * @example
 * ```ts
 * if (error instanceof BoundedFetchError && error.failure === 'timeout') { ... }
 * ```
 */
export class BoundedFetchError extends McpAuthError {
  /** Why the fetch failed. */
  readonly failure: BoundedFetchFailure;
  /** The status the server answered (`http_status`, `redirect`); `undefined` when it did not answer. */
  readonly upstreamStatus: number | undefined;
  /** The server's `Retry-After` in seconds on an `http_status` failure, when it sent a usable one. */
  readonly upstreamRetryAfter: number | undefined;

  constructor(
    code: McpAuthErrorCode,
    failure: BoundedFetchFailure,
    message: string,
    options: BoundedFetchErrorOptions = {},
  ) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'BoundedFetchError';
    this.failure = failure;
    this.upstreamStatus = options.upstreamStatus;
    this.upstreamRetryAfter = options.upstreamRetryAfter;
  }
}

/** Options of {@link fetchJsonBounded}. */
export interface BoundedFetchOptions {
  /** The `fetch` to call (injectable, any runtime's). */
  fetch: typeof fetch;
  /**
   * Total deadline, ms: connection, headers and the whole body. `fetch` is aborted and the
   * body stream cancelled when it passes, even when `fetch` ignores the abort signal. Zero or
   * less fails at once with `timeout`, without a request.
   */
  timeoutMs: number;
  /** Largest body accepted, bytes. Default {@link DEFAULT_MAX_RESPONSE_BYTES} (256 KiB). */
  maxResponseBytes?: number;
  /** The {@link McpAuthErrorCode} of failures, e.g. `jwks_unavailable`. */
  code: McpAuthErrorCode;
  /** What is fetched, for messages (`'JWKS'`, `'token introspection'`); never the URL. */
  what: string;
  /** HTTP method. Default `GET`. */
  method?: 'GET' | 'POST';
  /** Request headers. Default `accept: application/json`. */
  headers?: Record<string, string>;
  /** Request body (with `POST`). */
  body?: string;
}

/**
 * Validates a `maxResponseBytes` option at construction: a positive integer, default
 * {@link DEFAULT_MAX_RESPONSE_BYTES}. Throws {@link McpAuthConfigError} (a `TypeError`)
 * naming the option otherwise.
 *
 * @see {@link fetchJsonBounded}
 * @example
 * ```ts
 * const maxResponseBytes = resolveMaxResponseBytes(options.maxResponseBytes); // 262144
 * ```
 */
export function resolveMaxResponseBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_RESPONSE_BYTES;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new McpAuthConfigError('maxResponseBytes', 'must be a positive integer (bytes)');
  }
  return value;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds > 0 ? Math.min(seconds, MAX_RETRY_AFTER) : undefined;
}

function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

/** Builds the {@link BoundedFetchError} of one fetch: its code, and `what` in the message. */
type Fail = (
  failure: BoundedFetchFailure,
  message: string,
  extra?: BoundedFetchErrorOptions,
) => BoundedFetchError;

/** Throws `redirect` for any redirect, `http_status` for a status outside 2xx (body discarded). */
function checkStatus(response: Response, fail: Fail): void {
  const { status } = response;
  if (
    response.type === 'opaqueredirect' ||
    response.redirected ||
    (status >= 300 && status < 400)
  ) {
    discard(response);
    throw fail('redirect', 'request was redirected (redirects are not followed)', {
      upstreamStatus: status,
    });
  }
  if (status < 200 || status > 299) {
    discard(response);
    throw fail('http_status', `request failed with HTTP ${status}`, {
      upstreamStatus: status,
      upstreamRetryAfter: parseRetryAfter(response.headers.get('retry-after')),
    });
  }
}

/**
 * The whole body, refused (`too_large`) by its `Content-Length` or as soon as the bytes read
 * pass `maxBytes` (the stream is then cancelled). `onReader` receives the stream's reader, so
 * the deadline can cancel it too.
 */
async function readCapped(
  response: Response,
  maxBytes: number,
  fail: Fail,
  onReader: (reader: ReadableStreamDefaultReader<Uint8Array>) => void,
): Promise<Uint8Array> {
  const tooLarge = () => fail('too_large', `response is larger than ${maxBytes} bytes`);
  const declared = response.headers.get('content-length');
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > maxBytes) {
    discard(response);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    onReader(reader);
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        throw fail('unreachable', 'response was cut off', { cause });
      }
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * Fetches `url` and parses its body as JSON, within bounds — the one way the library reaches
 * the network (JWKS, authorization server metadata, token introspection):
 *
 * - **Redirects are refused, never followed.** The request is made with `redirect: 'manual'`;
 *   a 3xx answer, an opaque redirect (`type: 'opaqueredirect'`, status 0, as browsers and
 *   some runtimes return) or a response a custom `fetch` reached by following a redirect
 *   (`redirected: true`) fails with `redirect`. So a key set or metadata document is only
 *   ever read from a URL that passed the library's URL rule (https, or http on a loopback
 *   host) — and only from that exact URL.
 * - **One total deadline** (`timeoutMs`) covers connection, headers and body.
 * - **A size cap** (`maxResponseBytes`, default 256 KiB): a larger `Content-Length` is refused
 *   before the body is read; otherwise bytes are counted as they stream and the stream is
 *   cancelled as soon as they pass the cap, so no more than the cap (plus the chunk in hand)
 *   is ever held.
 * - Only 2xx is accepted; the body must be JSON (UTF-8).
 *
 * Rejects only with {@link BoundedFetchError}. Remembering failures is the caller's concern.
 *
 * @see RFC 9110 §15.4 (redirection), RFC 8414 §3, RFC 7517 §5, RFC 7662 §2
 * @example
 * ```ts
 * const jwks = await fetchJsonBounded('https://auth.example.com/jwks', {
 *   fetch,
 *   timeoutMs: 5_000,
 *   code: 'jwks_unavailable',
 *   what: 'JWKS',
 * });
 * ```
 */
export async function fetchJsonBounded(
  url: string,
  options: BoundedFetchOptions,
): Promise<unknown> {
  const { code, what, timeoutMs } = options;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const fail: Fail = (failure, message, extra) =>
    new BoundedFetchError(code, failure, `${what} ${message}`, extra);
  const timedOut = () => fail('timeout', `request timed out after ${timeoutMs} ms`);
  if (!(timeoutMs > 0)) throw timedOut();

  const controller = new AbortController();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timedOut());
      controller.abort();
      reader?.cancel().catch(() => {});
    }, timeoutMs);
  });

  async function readJson(): Promise<unknown> {
    let response: Response;
    try {
      response = await options.fetch(url, {
        method: options.method ?? 'GET',
        headers: options.headers ?? { accept: 'application/json' },
        ...(options.body === undefined ? {} : { body: options.body }),
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (cause) {
      throw fail('unreachable', 'request failed: the server is unreachable', { cause });
    }
    checkStatus(response, fail);
    const bytes = await readCapped(response, maxBytes, fail, (r) => {
      reader = r;
    });
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch (cause) {
      throw fail('invalid_json', 'response is not JSON', { cause });
    }
  }

  try {
    return await Promise.race([readJson(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
