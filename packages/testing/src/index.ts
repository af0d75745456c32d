export {
  createTestIssuer,
  type MintAccessTokenOptions,
  type OutageMode,
  type RotateKeysOptions,
  type TestIssuer,
  type TestIssuerOptions,
  type TestIssuerServer,
} from './create-test-issuer.js';
export { listenTestIssuer } from './listen-test-issuer.js';
export {
  type RunningTestIssuer,
  type StartTestIssuerOptions,
  startTestIssuer,
} from './start-test-issuer.js';
export { alterTokenPayload } from './alter-token-payload.js';
export {
  type GenerateTestKeyOptions,
  generateTestKey,
  isTestKeyAlgorithm,
  publicKeyPem,
  type TestKey,
  type TestKeyAlgorithm,
} from './test-key.js';
export { checkResourceServer } from './check-resource-server/check-resource-server.js';
export type {
  Check,
  CheckResourceServerOptions,
  CheckResourceServerResult,
  CheckResourceServerSummary,
  CheckStatus,
} from './check-resource-server/types.js';
export {
  type AuthChallenge,
  ChallengeSyntaxError,
  parseWwwAuthenticate,
} from './check-resource-server/parse-www-authenticate.js';
export {
  createDpopKey,
  type DpopKey,
  type DpopProofOptions,
  dpopAccessTokenHash,
} from './dpop-proof.js';
