import { serve } from '@hono/node-server';
import { createApp, readConfig } from './app.js';

const app = createApp(readConfig((name) => process.env[name]));
const hostname = process.env.HOST ?? '127.0.0.1';
const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname },
  (info) => {
    console.log(`listening on http://${hostname}:${info.port}`);
  },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close());
