/**
 * The shared RFC 6750 / RFC 9728 request → response vectors every adapter runs in-process.
 * The SDK end-to-end fixture is at `@org/mcp-auth-conformance/mcp`, the Node listener harness
 * at `@org/mcp-auth-conformance/node`, the sample apps' contract at
 * `@org/mcp-auth-conformance/sample`.
 */
export { createVectorIssuer, describeVectors, vectorOptions } from './describe-vectors.js';
export { MCP_VECTORS } from './mcp-vectors.js';
export { METADATA_VECTORS, OUTAGE_VECTORS, RESTRICTED_CORS_VECTORS } from './metadata-vectors.js';
export {
  ALLOWED_ORIGIN,
  EXPOSE,
  type Harness,
  type HarnessFactory,
  type HttpRequest,
  type HttpResponse,
  POLICY,
  PRM_URL,
  RESOURCE,
  type TokenKind,
  type Vector,
} from './vector.js';
