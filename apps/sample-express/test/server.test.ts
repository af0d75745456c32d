import { fileURLToPath } from 'node:url';
import { describeSampleContract } from '@org/mcp-auth-conformance/sample';
import { startServer } from '../src/app.js';
import { readConfig } from '../src/config.js';

// The sample-app contract shared by every sample (packages/conformance): this sample, started
// in-process and as a process, against a local test issuer and a local Scalekit mock.
describeSampleContract({
  name: 'sample-express',
  appDir: fileURLToPath(new URL('..', import.meta.url)),
  startServer,
  readConfig,
});
