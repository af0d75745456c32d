/**
 * The contract every sample app (apps/sample-*) keeps, as one vitest suite each sample runs
 * against itself.
 */
import { describeConfigContract } from './sample-config-contract.js';
import { describeHttpContract } from './sample-http-contract.js';
import type { SampleUnderTest } from './sample-kit.js';
import { describeScalekitContract } from './sample-scalekit-contract.js';

export type { SampleConfigLike, SampleServerLike, SampleUnderTest } from './sample-kit.js';
export { describeSampleV2Contract, type SampleV2UnderTest } from './sample-v2-contract.js';

/**
 * Registers the whole sample-app contract for one sample: over HTTP against a local test
 * issuer (challenges, metadata, tools and scopes, key rotation, Origins, JSON errors, session
 * binding), with `MCP_AUTH_PROVIDER=scalekit` against a local mock environment, and its
 * configuration (`readConfig`, and `src/main.ts` started as a process with the sample's `tsx`).
 *
 * @example
 * ```ts
 * // apps/sample-express/test/server.test.ts
 * import { fileURLToPath } from 'node:url';
 * import { describeSampleContract } from '@org/mcp-auth-conformance/sample';
 * import { startServer } from '../src/app.js';
 * import { readConfig } from '../src/config.js';
 *
 * describeSampleContract({
 *   name: 'sample-express',
 *   appDir: fileURLToPath(new URL('..', import.meta.url)),
 *   startServer,
 *   readConfig,
 * });
 * ```
 */
export function describeSampleContract(sample: SampleUnderTest): void {
  describeHttpContract(sample);
  describeScalekitContract(sample);
  describeConfigContract(sample);
}
