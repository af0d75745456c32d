/**
 * What {@link createObservedFetch} reports for each request.
 *
 * @example
 * ```ts
 * const observer = async ({ method, url, response }: ObservedExchange) =>
 *   console.log(method, url.href, response.status);
 * ```
 */
export interface ObservedExchange {
  method: string;
  url: URL;
  requestHeaders: Headers;
  /** The request body when it was a string or `URLSearchParams`, else `undefined`. */
  requestBody: string | undefined;
  /** The real response: read its body only through `response.clone()`. */
  response: Response;
}

/**
 * Wraps `fetch` so that every exchange is reported to `observer` (awaited) before the caller
 * sees the response — for narrating or asserting what an MCP client sends and receives. Pass
 * it as the `fetch` option of the SDK's `StreamableHTTPClientTransport`; the SDK also uses it
 * for its OAuth requests.
 *
 * @example
 * ```ts
 * const observed = createObservedFetch(async ({ url, response }) => {
 *   if (response.status === 401) console.log(response.headers.get('www-authenticate'));
 * });
 * new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider, fetch: observed });
 * ```
 */
export function createObservedFetch(
  observer: (exchange: ObservedExchange) => void | Promise<void>,
  base: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const requestHeaders = new Headers(init?.headers ?? request?.headers);
    const body = init?.body;
    const requestBody =
      typeof body === 'string'
        ? body
        : body instanceof URLSearchParams
          ? body.toString()
          : undefined;
    const response = await base(input, init);
    await observer({ method, url, requestHeaders, requestBody, response });
    return response;
  };
}
