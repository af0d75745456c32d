export {
  DEFAULT_SCOPES,
  DEFAULT_USERS,
  isLoopbackResource,
  startDevAuthorizationServer,
} from './start-dev-authorization-server.js';
export type {
  DevAuthorizationServer,
  DevAuthorizationServerLogger,
  DevAuthorizationServerOptions,
  DevUser,
  RotateKeysResult,
} from './start-dev-authorization-server.js';
export { driveAuthorization } from './drive-authorization.js';
export type { DriveAuthorizationOptions, DriveAuthorizationResult } from './drive-authorization.js';
export { DEFAULT_PORT, parseScopes, parseUsers, readEnvOptions } from './read-env-options.js';
export type { SigningAlg } from './signing-key.js';
