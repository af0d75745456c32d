import type { McpAuthErrorCode } from './errors.js';
import { headerValue } from './headers.js';
import { type McpOperation, operationsOf, resourceKey } from './mcp-operations.js';
import type { AuthorizeRequest } from './types.js';

/**
 * JSON-RPC error code for a body that cannot be parsed.
 * @example
 * ```ts
 * if (result.type === 'deny' && 'jsonrpc' in result.body && result.body.error.code === JSONRPC_PARSE_ERROR) { ... }
 * ```
 */
export const JSONRPC_PARSE_ERROR = -32700;
/**
 * JSON-RPC error code (MCP 2026-07-28) for `Mcp-Method`/`Mcp-Name` headers that disagree with the body.
 * @example
 * ```ts
 * if (result.type === 'deny' && 'jsonrpc' in result.body && result.body.error.code === JSONRPC_HEADER_MISMATCH) { ... }
 * ```
 */
export const JSONRPC_HEADER_MISMATCH = -32020;
/** JSON-RPC error code for a request whose target (`name`, `uri`) is not a string. */
export const JSONRPC_INVALID_PARAMS = -32602;

/** What a request asks for, and why it cannot be read when it cannot. */
export interface Operations {
  ops: readonly McpOperation[];
  /** False when the body holds anything but requests (a JSON-RPC response, a non-object). */
  onlyRequests: boolean;
  error?: { code: McpAuthErrorCode; rpc: number; message: string };
}

const NO_OPERATIONS: Operations = Object.freeze({ ops: Object.freeze([]), onlyRequests: true });

const decoder = new TextDecoder();

/**
 * The JSON-RPC message in a body, decoded once: a parsed object or array is used as it is; bytes
 * are decoded and parsed; anything else — a string (raw text, or a JSON string value, which is
 * never a message and is not decoded a second time), a number, form data — is `undefined`.
 */
function toMessage(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined;
  let bytes: Uint8Array | undefined;
  if (body instanceof Uint8Array) bytes = body;
  else if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
  if (bytes === undefined) {
    if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return undefined;
    return body;
  }
  try {
    const parsed: unknown = JSON.parse(decoder.decode(bytes));
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request-reading stage: the MCP operations of a POST, read once from its JSON-RPC body
 * (and checked against the 2026-07-28 `Mcp-Method`/`Mcp-Name` headers). `needsBody` makes a
 * missing or unparseable body an error (fail closed) rather than "no operations".
 */
export function readOperations(
  request: AuthorizeRequest,
  httpMethod: string,
  needsBody: boolean,
): Operations {
  if (httpMethod !== 'POST') return NO_OPERATIONS;
  const mcpMethod = headerValue(request.headers, 'mcp-method');
  const mcpName = headerValue(request.headers, 'mcp-name');
  const body = request.body;
  if (body === undefined) {
    // Fail closed: headers alone are client claims the body could contradict, so a policy
    // that needs the body never decides without it. Otherwise they only inform the audit.
    if (needsBody) return parseError('Request body is required');
    // Unknown content: never public, whatever the headers claim.
    return mcpMethod === undefined
      ? { ops: [], onlyRequests: false }
      : {
          ops: [
            mcpName === undefined ? { method: mcpMethod } : { method: mcpMethod, name: mcpName },
          ],
          onlyRequests: false,
        };
  }
  const message = toMessage(body);
  if (message === undefined) {
    return needsBody
      ? parseError('Request body is not valid JSON')
      : { ops: [], onlyRequests: false };
  }
  const ops = operationsOf(message);
  const onlyRequests = ops.length === (Array.isArray(message) ? message.length : 1);
  if (needsBody && ops.some((op) => op.malformed === true)) {
    return {
      ops,
      onlyRequests,
      error: {
        code: 'jsonrpc_invalid_params',
        rpc: JSONRPC_INVALID_PARAMS,
        message: 'Invalid params: a tool or prompt name or a resource URI must be a string',
      },
    };
  }
  if (mcpMethod !== undefined || mcpName !== undefined) {
    const mismatch =
      ops.length === 0 ||
      ops.some(
        (op) =>
          (mcpMethod !== undefined && op.method !== mcpMethod) ||
          (mcpName !== undefined &&
            op.name !== undefined &&
            op.ref === undefined && // Mcp-Name names no completion target
            op.name !== (op.method.startsWith('resources/') ? resourceKey(mcpName) : mcpName)),
      );
    if (mismatch) {
      return {
        ops,
        onlyRequests,
        error: {
          code: 'jsonrpc_header_mismatch',
          rpc: JSONRPC_HEADER_MISMATCH,
          message: 'Header mismatch: Mcp-Method/Mcp-Name do not match the request body',
        },
      };
    }
  }
  return { ops, onlyRequests };
}

function parseError(message: string): Operations {
  return {
    ops: [],
    onlyRequests: false,
    error: {
      code: 'jsonrpc_parse_error',
      rpc: JSONRPC_PARSE_ERROR,
      message: `Parse error: ${message}`,
    },
  };
}
