import { describeVectors } from '../../express/test/shared/vectors.js';
import { honoHarness } from './harness.js';

describeVectors('Hono 4 (Node)', honoHarness, 'web');
