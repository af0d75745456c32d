export { applyAllow } from './apply-allow.js';
export type { NodeAuthorization, NodeHandler } from './create-node-handler.js';
export { createNodeHandler } from './create-node-handler.js';
export type { NodeResponseHead } from './on-response-head.js';
export { onResponseHead } from './on-response-head.js';
export type { ReadJsonBodyOptions, ReadJsonBodyResult } from './read-json-body.js';
export { hasUnreadJsonBody, readJsonBody } from './read-json-body.js';
export { toAuthorizeRequest } from './to-authorize-request.js';
export { INTERNAL_ERROR, writeResponse } from './write-response.js';
