import { createApp, readConfig } from './app.js';

/** The part of Bun's global this entry uses (no Bun typings in the workspace). */
declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Response | Promise<Response>;
  }): { port: number };
};

const app = createApp(readConfig((name) => Bun.env[name]));
const hostname = Bun.env.HOST ?? '127.0.0.1';
const server = Bun.serve({ port: Number(Bun.env.PORT ?? 0), hostname, fetch: app.fetch });
console.log(`listening on http://${hostname}:${server.port}`);
