/**
 * Session exhaustion: room for a session is reserved while an `initialize` is in flight, so a
 * client that hangs up mid-request must not leave its reservation behind (it used to, on
 * Express and plain Node: a few hundred aborted initializes locked a user, then everyone, out
 * until a restart). And a subject whose clients never send `DELETE` (the SDK's
 * `Client.close()` does not) is refused past its share without touching anyone else's sessions
 * (`onSubjectLimit: 'replace-oldest'` is the opt-in alternative, in mcp-session-fail-closed).
 */
import { connect } from 'node:net';
import { expect, it } from 'vitest';
import {
  deleteSession,
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
    // The same subject can still open sessions, and so can everyone else (maxSessions 12). The
    // server may still be finishing the aborted requests: ask again for up to 5 s (a leaked
    // reservation would hold for a minute).
    let own = await postMcp(server, initializeRequest(), { token: mallory });
    for (let i = 0; i < 25 && own.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      own = await postMcp(server, initializeRequest(), { token: mallory });
    }
    expect(own.status, own.text).toBe(200);
    for (let i = 0; i < 4; i++) {
      const other = await env.mint(server, { sub: `user-${adapter}-${i}`, scope: 'todo:read' });
      expect((await postMcp(server, initializeRequest(), { token: other })).status).toBe(200);
    }
  });
});

describeEachAdapter('a subject that never closes its sessions', (adapter) => {
  it('is refused past its share (503) without touching anyone else, and not locked out for good', async () => {
    const server = env.server(adapter);
    const alice = await env.mint(server, { sub: `alice-${adapter}`, scope: 'todo:read' });
    const bob = await env.mint(server, { sub: `bob-${adapter}`, scope: 'todo:read' });
    const bobs = await openSession(server, bob);
    const sessions: string[] = [];
    for (let i = 0; i < PER_SUBJECT; i++)
      sessions.push((await openSession(server, alice)).sessionId);
    const refused = await postMcp(server, initializeRequest(), { token: alice });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('30');
    // Nobody else's session was touched, and alice's own still work.
    expect((await sendOnSession(server, bobs.sessionId, bob, toolCall('whoami'))).status).toBe(200);
    expect((await sendOnSession(server, sessions[0]!, alice, toolCall('whoami'))).status).toBe(200);
    // One DELETE gives her room again.
    expect((await deleteSession(server, sessions[0]!, alice)).status).toBe(200);
    expect((await postMcp(server, initializeRequest(), { token: alice })).status).toBe(200);
  });
});
