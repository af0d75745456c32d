/**
 * The shared RFC 6750 / RFC 9728 request → response vectors every adapter runs in-process.
 * The SDK end-to-end fixture is at `@org/mcp-auth-conformance/mcp`, the Node listener harness
 * at `@org/mcp-auth-conformance/node`.
 */
export {
  ALLOWED_ORIGIN,
  createVectorIssuer,
  describeVectors,
  EXPOSE,
  type Harness,
  type HarnessFactory,
  type HttpRequest,
  type HttpResponse,
  MCP_VECTORS,
  METADATA_VECTORS,
  OUTAGE_VECTORS,
  POLICY,
  PRM_URL,
  RESOURCE,
  RESTRICTED_CORS_VECTORS,
  vectorOptions,
} from './vectors.js';
