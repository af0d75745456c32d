import { createApp, readConfig } from './app.js';

/** The part of Deno's global this entry uses (no Deno typings in the workspace). */
declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: { port: number; hostname: string; onListen?: (address: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
};

const app = createApp(readConfig((name) => Deno.env.get(name)));
const hostname = Deno.env.get('HOST') ?? '127.0.0.1';
Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 0),
    hostname,
    onListen: ({ port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  app.fetch,
);
