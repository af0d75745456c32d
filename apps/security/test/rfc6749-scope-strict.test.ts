/**
 * RFC 6749 §3.3 / RFC 9068 §2.2.3: `scope` is scope-tokens separated by U+0020 only, and a
 * string. A token whose `scope` joins two scopes with another kind of whitespace, or carries
 * them as a JSON array, grants neither — over HTTP on every adapter, with the refused values
 * reported in the decision event (`droppedScopes`).
 */
import { expect, it } from 'vitest';
import {
  callTool,
  describeEachAdapter,
  expectInsufficientScope,
  openSession,
  type SecurityServer,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

const env = useSecurityEnvironment();

/** `todo:read<separator>calendar:write`, and the value the decision event reports. */
const SEPARATORS: Array<{ name: string; separator: string; reported: string }> = [
  { name: 'a no-break space (U+00A0)', separator: '\u00a0', reported: '\\u00a0' },
  { name: 'a tab', separator: '\t', reported: '\\u0009' },
  { name: 'a line feed', separator: '\n', reported: '\\u000a' },
  { name: 'CR LF', separator: '\r\n', reported: '\\u000d\\u000a' },
  { name: 'a vertical tab', separator: '\u000b', reported: '\\u000b' },
  { name: 'a form feed', separator: '\u000c', reported: '\\u000c' },
  { name: 'an em space (U+2003)', separator: '\u2003', reported: '\\u2003' },
  { name: 'an ideographic space (U+3000)', separator: '\u3000', reported: '\\u3000' },
  { name: 'a line separator (U+2028)', separator: '\u2028', reported: '\\u2028' },
];

/** Opens a session with a token carrying `scope` exactly as given. */
async function sessionWith(server: SecurityServer, scope: unknown) {
  const token = await env.mint(server, { claims: { scope } });
  return { token, sessionId: (await openSession(server, token)).sessionId };
}

describeEachAdapter('scope separators other than U+0020', (adapter) => {
  it.each(SEPARATORS)(
    'todo:read and calendar:write joined by $name grant neither',
    async ({ separator, reported }) => {
      // Finding 6: scopes were split on any whitespace, so a token whose `scope` was one
      // invalid value reached calendar:write tools.
      const server = env.server(adapter);
      const { token, sessionId } = await sessionWith(server, `todo:read${separator}calendar:write`);
      const write = await toolRunsDuring(server, () =>
        callTool(server, { token, sessionId }, 'create_event'),
      );
      expectInsufficientScope(write.result, server, 'calendar:write', 'calendar:write');
      expect(write.runs).toBe(0);
      expect(server.decisions.at(-1)).toMatchObject({
        outcome: 'deny',
        reason: 'insufficient_scope',
        tool: 'create_event',
        missingScopes: ['calendar:write'],
        droppedScopes: [
          {
            claim: 'scope',
            reason: 'invalid_scope_token',
            value: `todo:read${reported}calendar:write`,
          },
        ],
      });
      const read = await toolRunsDuring(server, () =>
        callTool(server, { token, sessionId }, 'list_todos'),
      );
      expectInsufficientScope(read.result, server, 'todo:read', 'todo:read');
      expect(read.runs).toBe(0);
    },
  );
});

describeEachAdapter('scope as a JSON array', (adapter) => {
  it('["todo:read","calendar:write"] grants nothing', async () => {
    // Finding 6: an array in `scope` was read as a list of scopes.
    const server = env.server(adapter);
    const { token, sessionId } = await sessionWith(server, ['todo:read', 'calendar:write']);
    for (const [tool, scope] of [
      ['list_todos', 'todo:read'],
      ['create_event', 'calendar:write'],
    ] as const) {
      const { runs, result } = await toolRunsDuring(server, () =>
        callTool(server, { token, sessionId }, tool),
      );
      expectInsufficientScope(result, server, scope, scope);
      expect(runs).toBe(0);
      expect(server.decisions.at(-1)?.droppedScopes).toEqual([
        { claim: 'scope', reason: 'wrong_shape', value: 'array' },
      ]);
    }
  });
});

describeEachAdapter('scope delimited by U+0020 (control)', (adapter) => {
  it('"todo:read calendar:write" reaches both tools', async () => {
    // Finding 6, control: the RFC spelling keeps working.
    const server = env.server(adapter);
    const { token, sessionId } = await sessionWith(server, 'todo:read calendar:write');
    for (const tool of ['create_event', 'list_todos']) {
      const { runs, result } = await toolRunsDuring(server, () =>
        callTool(server, { token, sessionId }, tool),
      );
      expect(result.status).toBe(200);
      expect(runs).toBe(1);
      expect(server.toolCalls.at(-1)).toEqual({
        tool,
        sub: 'alice',
        scopes: ['todo:read', 'calendar:write'],
      });
      expect(server.decisions.at(-1)?.droppedScopes).toBeUndefined();
    }
  });
});
