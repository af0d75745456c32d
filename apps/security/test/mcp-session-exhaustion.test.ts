/**
 * Session exhaustion: room for a session is reserved while an `initialize` is in flight, so a
 * client that hangs up mid-request must not leave its reservation behind (it used to, on
 * Express and plain Node: a few hundred aborted initializes locked a user, then everyone, out
 * until a restart). And a subject whose clients never send `DELETE` (the SDK's
 * `Client.close()` does not) replaces its own oldest session instead of being refused.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  describeEachAdapter,
  initializeRequest,
  openSession,
  postMcp,
  type SecurityServer,
  sendOnSession,
  toolCall,
  useSecurityEnvironment,
} from '../src/index.js';

const PER_SUBJECT = 3;
const env = useSecurityEnvironment({
  auth: { sessionBinding: { maxSessions: 12, maxSessionsPerSubject: PER_SUBJECT } },
});

/** Sends an initialize over a raw socket and hangs up before any answer. */
function abortedInitialize(server: SecurityServer, token: string): Promise<void> {
  const { port } = new URL(server.url);
  // An initialize the application refuses (no protocol version): it answers at once, on a
  // connection that is already gone, so no response head is ever written.
  const body = JSON.stringify({ ...initializeRequest(), params: {} });
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        [
          'POST /mcp HTTP/1.1',
          'Host: 127.0.0.1',
          'Content-Type: application/json',
          'Accept: application/json, text/event-stream',
          `Authorization: Bearer ${token}`,
          `Content-Length: ${Buffer.byteLength(body)}`,
          '',
          body,
        ].join('\r\n'),
      );
      socket.destroy();
      resolve();
    });
    socket.on('error', () => resolve());
  });
}

describeEachAdapter('session reservations cannot be leaked', (adapter) => {
  it('40 initializes aborted mid-request leave every slot free', async () => {
    const server = env.server(adapter);
    const mallory = await env.mint(server, { sub: 'mallory', scope: 'todo:read' });
    for (let i = 0; i < 40; i++) await abortedInitialize(server, mallory);
    // Give the server a moment to notice the hang-ups.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The same subject can still open sessions, and so can everyone else (maxSessions 12).
    const own = await postMcp(server, initializeRequest(), { token: mallory });
    expect(own.status, own.text).toBe(200);
    for (let i = 0; i < 4; i++) {
      const other = await env.mint(server, { sub: `user-${adapter}-${i}`, scope: 'todo:read' });
      expect((await postMcp(server, initializeRequest(), { token: other })).status).toBe(200);
    }
  });
});

describe.each(['express', 'fastify', 'hono'] as const)(
  'a subject that never closes its sessions (%s)',
  (adapter) => {
    it('replaces its own least recently used session and keeps working', async () => {
      const server = env.server(adapter);
      const alice = await env.mint(server, { sub: `alice-${adapter}`, scope: 'todo:read' });
      const bob = await env.mint(server, { sub: `bob-${adapter}`, scope: 'todo:read' });
      const bobs = await openSession(server, bob);
      const sessions: string[] = [];
      for (let i = 0; i < PER_SUBJECT + 2; i++) {
        sessions.push((await openSession(server, alice)).sessionId);
      }
      // The newest ones work; the two oldest were replaced (the same 404 as an unknown id).
      const newest = await sendOnSession(server, sessions.at(-1)!, alice, toolCall('whoami'));
      expect(newest.status).toBe(200);
      const oldest = await sendOnSession(server, sessions[0]!, alice, toolCall('whoami'));
      expect(oldest.status).toBe(404);
      // Nobody else's session was touched.
      const still = await sendOnSession(server, bobs.sessionId, bob, toolCall('whoami'));
      expect(still.status).toBe(200);
    });
  },
);
