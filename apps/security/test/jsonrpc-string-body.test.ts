/**
 * A body that is a JSON *string* whose text is a JSON-RPC message (RFC 8259: a string is a JSON
 * text, never an object) must not be decoded a second time and treated as that message: the
 * scope policy would judge one thing while the application sees another. Over HTTP on every
 * adapter, with a token allowed to call the tool the string names.
 */
import { expect, it } from 'vitest';
import {
  type AdapterName,
  describeEachAdapter,
  expectDenial,
  openSession,
  postMcp,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

const env = useSecurityEnvironment();

const MESSAGE = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_todo"}}';

/**
 * Who refuses the body: Express's `express.json()` (strict: only objects and arrays) runs
 * before the core and answers with the app's parse error, so the core never sees it (and never
 * saw it); on Fastify and Hono the body reaches the core, which judges the JSON string itself —
 * not a message — and answers -32700 before the application runs.
 */
const PARSE_ERROR: Record<AdapterName, string> = {
  express: 'Parse error: Invalid JSON',
  fastify: 'Parse error: Request body is not valid JSON',
  hono: 'Parse error: Request body is not valid JSON',
};

describeEachAdapter('a JSON string holding a message', (adapter) => {
  it.each([
    { name: 'a tools/call', body: JSON.stringify(MESSAGE) },
    { name: 'a batch', body: JSON.stringify(`[${MESSAGE}]`) },
  ])('is not treated as $name: 400 -32700, no tool runs', async ({ body }) => {
    // Finding 10: a body that parsed to a string was parsed again, so the scope policy judged
    // (and allowed) the add_todo call the string spelled, while the application received the
    // string.
    const server = env.server(adapter);
    const token = await env.mint(server, { scope: 'todo:read todo:write' });
    const { sessionId } = await openSession(server, token);
    const decisions = server.decisions.length;
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, body, { token, sessionId }),
    );
    expectDenial(result, {
      status: 400,
      challenge: null,
      body: { jsonrpc: '2.0', id: null, error: { code: -32700, message: PARSE_ERROR[adapter] } },
    });
    expect(runs).toBe(0);
    if (adapter === 'express') {
      expect(server.decisions.length).toBe(decisions);
    } else {
      expect(server.decisions.slice(decisions)).toEqual([
        expect.objectContaining({
          outcome: 'deny',
          reason: 'jsonrpc_parse_error',
          status: 400,
          methods: [],
          tools: [],
        }),
      ]);
    }
  });
});
