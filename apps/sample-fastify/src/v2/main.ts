import { serve } from '../serve.js';
import { readStateless, startServer } from './app.js';

// Entry point on MCP SDK v2: `npm run start:v2`. The same environment as `npm start`, plus
// MCP_STATELESS=1 to serve every request on its own. Shuts down on SIGINT/SIGTERM.
let stateless = false;
await serve(
  (config) => {
    stateless = readStateless(process.env);
    return startServer(config, { stateless });
  },
  () => `Fastify, MCP SDK v2, ${stateless ? 'stateless' : 'stateful'}`,
);
