import type { SecurityEnvironment } from './environment.js';
import { openSession } from './mcp.js';
import type { SecurityServer } from './servers.js';

/** A session opened by a genuine token, and that token. */
export interface SharedSession {
  sessionId: string;
  token: string;
}

/**
 * One session per server, opened on first use by a genuine token with `scope`, then shared by
 * every test that asks for it (so a file opens one session per adapter, not one per test).
 *
 * @example
 * ```ts
 * const readerSession = sessionPerServer(env, 'todo:read');
 * const { sessionId, token } = await readerSession(server);
 * ```
 */
export function sessionPerServer(
  env: SecurityEnvironment,
  scope: string,
): (server: SecurityServer) => Promise<SharedSession> {
  const sessions = new Map<SecurityServer, Promise<SharedSession>>();
  return (server) => {
    let session = sessions.get(server);
    if (session === undefined) {
      session = env.mint(server, { scope }).then(async (token) => ({
        token,
        sessionId: (await openSession(server, token)).sessionId,
      }));
      sessions.set(server, session);
    }
    return session;
  };
}
