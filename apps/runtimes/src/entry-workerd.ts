import type { ExecutionContext, Hono } from 'hono';
import { createApp, readConfig } from './app.js';

/** The Worker's bindings: `MCP_AUTH_ISSUER`, `MCP_RESOURCE_URL`, `MCP_AUTH_JWKS_COOLDOWN_MS`. */
export type Bindings = Record<string, unknown>;

let app: Hono | undefined;

/**
 * A module Worker. Bindings arrive with the first request, so the app (and its key-set cache)
 * is built then and kept for the isolate's life. `ctx` reaches Hono as `c.executionCtx`, where
 * `@org/mcp-auth-hono` finds `waitUntil` for a key-set refresh that outlives a response.
 */
export default {
  fetch(request: Request, env: Bindings, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= createApp(readConfig((name) => env[name])) as unknown as Hono;
    return app.fetch(request, env, ctx);
  },
};
