import { describeVectors } from '@org/mcp-auth-conformance';
import { honoHarness } from './harness.js';

describeVectors('Hono 4 (Node)', honoHarness, 'web');
