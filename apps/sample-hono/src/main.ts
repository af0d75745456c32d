import { startServer } from './app.js';
import { serve } from './serve.js';

// Entry point: `npm start`. Reads the environment, listens, and shuts down on SIGINT/SIGTERM.
await serve(startServer, () => 'Hono');
