// The adversarial suite's harness: servers per adapter, an issuer, request helpers, forgeries,
// expectations and log capture. Tests import from here.
export {
  describeEachAdapter,
  type ForgeOptions,
  type MintOptions,
  type SecurityEnvironment,
  type SecurityEnvironmentOptions,
  startSecurityEnvironment,
  useSecurityEnvironment,
} from './environment.js';
export {
  challengeFor,
  type ExpectedChallenge,
  type ExpectedDenial,
  expectDenial,
  expectInsufficientScope,
  expectInvalidRequest,
  expectInvalidToken,
  expectNoInternals,
  quotable,
  toolRunsDuring,
} from './expectations.js';
export {
  decodeParts,
  encryptJwt,
  type SignJwtOptions,
  signJwt,
  signRawJwt,
  unsecuredJwt,
} from './forge.js';
export {
  type HeaderPairs,
  jsonRpcMessages,
  type RawRequest,
  type RawResponse,
  sendRaw,
  sendRawBytes,
} from './http.js';
export { FUZZ_RUNS_FACTOR, FUZZ_SEED, fuzzParameters } from './fuzz.js';
export {
  type HttpListener,
  type SilentListener,
  startHttpListener,
  startSilentListener,
} from './listeners.js';
export { captureLogs, findLeaks, type LogCapture } from './log-capture.js';
export {
  callTool,
  deleteSession,
  initializeRequest,
  type McpRequestOptions,
  mcpHeaders,
  type OpenSession,
  openSession,
  openStream,
  PROTOCOL_VERSION,
  postMcp,
  rawPathRequest,
  rpc,
  rpcResult,
  sendOnSession,
  toolCall,
  VALID_ARGS,
  withOrigin,
} from './mcp.js';
export {
  ADAPTERS,
  type AdapterName,
  MAX_BODY_BYTES,
  MCP_PATH,
  type SecurityServer,
  type SecurityServerContext,
  type SecurityServerOptions,
  startSecurityServer,
} from './servers.js';
export { createToolServer, SCOPE_POLICY, SCOPES, TOOL_NAMES, type ToolCall } from './tools.js';
export { type SharedSession, sessionPerServer } from './shared-session.js';
