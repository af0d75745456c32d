import type { McpAuth } from './create-mcp-auth.js';
import {
  buildProtectedResourceMetadata,
  type ProtectedResourceMetadata,
  protectedResourceMetadataPath,
  ROOT_METADATA_PATH,
} from './protected-resource-metadata.js';
import type { HeadersInit, PlainResponse } from './types.js';

/**
 * The metadata documents and where they are served.
 * @example
 * ```ts
 * app.get(auth.metadata.path, (_req, res) => res.set(auth.metadata.headers).json(auth.metadata.document));
 * ```
 */
export interface McpAuthMetadata {
  /** The path-inserted document (`resource` = the configured resource). */
  document: ProtectedResourceMetadata;
  /** The root document (`resource` = `metadata.rootResource`, default the resource). */
  rootDocument: ProtectedResourceMetadata;
  /** Path-inserted path, e.g. `/.well-known/oauth-protected-resource/mcp`. */
  path: string;
  /** `/.well-known/oauth-protected-resource`. */
  rootPath: string;
  /** Absolute URL of the path-inserted document (the challenge's `resource_metadata`). */
  url: string;
  /** Headers to serve the documents with (JSON, CORS open, cacheable). */
  headers: Readonly<Record<string, string>>;
}

/**
 * A request to the metadata or preflight handlers.
 * @example
 * ```ts
 * auth.handleMetadataRequest({ method: req.method, url: req.url, headers: req.headers });
 * ```
 */
export interface McpAuthRouteRequest {
  method: string;
  url: string | URL;
  headers: HeadersInit;
}

const DOCUMENT_HEADERS = Object.freeze({
  'Content-Type': 'application/json',
  'Access-Control-Allow-Origin': '*',
  'Cache-Control': 'public, max-age=3600',
});
const PREFLIGHT_HEADERS = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version',
  'Access-Control-Max-Age': '7200',
});
const ERROR_HEADERS = Object.freeze({
  'Content-Type': 'application/json',
  'Access-Control-Allow-Origin': '*',
});

/** What {@link buildMetadata} needs: the resource and the validated PRM fields. */
export interface MetadataInput {
  resource: string;
  resourceUrl: URL;
  rootResource: string | undefined;
  authorizationServers: string[];
  scopesSupported: string[];
  resourceName: string | undefined;
  extra: Record<string, unknown>;
}

/** Freezes a metadata document and its lists, so no caller can alter what is served. */
function freezeDocument(doc: ProtectedResourceMetadata): ProtectedResourceMetadata {
  for (const value of Object.values(doc)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(doc);
}

/** The frozen PRM documents (path-inserted and root), their paths, URL and headers. */
export function buildMetadata(input: MetadataInput): McpAuthMetadata {
  const document = freezeDocument(
    buildProtectedResourceMetadata({
      resource: input.resource,
      authorizationServers: input.authorizationServers,
      scopesSupported: input.scopesSupported,
      ...(input.resourceName === undefined ? {} : { resourceName: input.resourceName }),
      extra: input.extra,
    }),
  );
  const rootDocument =
    input.rootResource === undefined || input.rootResource === input.resource
      ? document
      : freezeDocument({ ...document, resource: input.rootResource });
  const path = protectedResourceMetadataPath(input.resourceUrl);
  return Object.freeze({
    document,
    rootDocument,
    path,
    rootPath: ROOT_METADATA_PATH,
    url: `${input.resourceUrl.origin}${path}`,
    headers: DOCUMENT_HEADERS,
  });
}

function pathOf(url: string | URL): string | undefined {
  if (typeof url !== 'string') return url.pathname;
  if (url.startsWith('/')) {
    const end = url.search(/[?#]/);
    return end < 0 ? url : url.slice(0, end);
  }
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

/**
 * The answer of the PRM routes: GET/HEAD → 200 JSON, OPTIONS → 204 preflight, other methods
 * → 405, other `/.well-known/oauth-protected-resource/...` paths → 404; `undefined` when the
 * path is not a PRM path.
 */
export function answerMetadata(
  metadata: McpAuthMetadata,
  request: McpAuthRouteRequest,
): PlainResponse | undefined {
  const pathname = pathOf(request.url);
  if (pathname === undefined) return undefined;
  const doc =
    pathname === metadata.path
      ? metadata.document
      : pathname === ROOT_METADATA_PATH
        ? metadata.rootDocument
        : undefined;
  if (doc === undefined) {
    if (!pathname.startsWith(`${ROOT_METADATA_PATH}/`)) return undefined;
    return {
      status: 404,
      headers: { ...ERROR_HEADERS },
      body: { error: 'not_found', error_description: 'No protected resource metadata here' },
    };
  }
  const method = String(request.method).toUpperCase();
  if (method === 'GET') return { status: 200, headers: { ...DOCUMENT_HEADERS }, body: doc };
  if (method === 'HEAD') return { status: 200, headers: { ...DOCUMENT_HEADERS } };
  if (method === 'OPTIONS') return { status: 204, headers: { ...PREFLIGHT_HEADERS } };
  return {
    status: 405,
    headers: { Allow: 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Origin': '*' },
  };
}

/**
 * Answers a Protected Resource Metadata request for several protected endpoints in one app:
 * the first endpoint whose document matches wins over the others' 404s. `undefined` when the
 * path is not a metadata path at all (let the app handle it).
 *
 * @example
 * ```ts
 * const answer = answerMetadataRequest([todos, calendar], { method, url, headers });
 * if (answer) return toResponse(answer);
 * ```
 * @see RFC 9728 §3
 */
export function answerMetadataRequest(
  cores: readonly McpAuth[],
  request: McpAuthRouteRequest,
): PlainResponse | undefined {
  let answer: PlainResponse | undefined;
  for (const core of cores) {
    const response = core.handleMetadataRequest(request);
    if (response && (answer === undefined || answer.status === 404)) answer = response;
  }
  return answer;
}
