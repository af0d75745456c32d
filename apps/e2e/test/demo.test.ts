import { parseDemoArgs, runDemo } from '@org/demo';
import { describe, expect, it } from 'vitest';

// `pnpm demo` is the README's first command: it must walk the whole flow, print it without
// ever printing a token, and stop its servers whatever happens.

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pnpm demo', () => {
  it('walks the flow from the 401 to the step-up and prints each step, tokens decoded only', async () => {
    let output = '';
    const result = await runDemo({
      sample: 'express',
      write: (text) => {
        output += text;
      },
    });
    expect(result.milestones).toEqual([
      '401 challenge',
      'protected resource metadata',
      'authorization server metadata',
      'dynamic registration',
      'authorization request',
      'login and consent',
      'access token',
      'tool call',
      '403 insufficient_scope',
      'step-up consent',
      'step-up token',
      'step-up tool call',
    ]);
    expect(output).toMatch(/MCP request without a token → 401/);
    expect(output).toMatch(
      /WWW-Authenticate: Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\//,
    );
    // The sample's 401 names its initialScopes, so the first consent asks for todo:read alone.
    expect(output).toMatch(/WWW-Authenticate: Bearer resource_metadata="[^"]+", scope="todo:read"/);
    expect(output).toMatch(/consent page asked for: todo:read\n/);
    expect(output).toContain('user ticked: todo:read');
    expect(output).toContain('error="insufficient_scope"');
    expect(output).toContain('consent page asked for: todo:write');
    expect(output).toContain('"typ": "at+jwt"');
    expect(output).toContain('All 12 checks passed.');
    expect(output).not.toMatch(JWT);
    expect(output).not.toContain('\u001b[');

    const pid = Number(/\bpid (\d+)\)/.exec(output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isRunning(pid)).toBe(false);
  });

  it('fails with a clear message naming the step, and still stops the sample', async () => {
    let output = '';
    await expect(
      runDemo({
        sample: 'express',
        username: 'carol',
        write: (text) => {
          output += text;
        },
      }),
    ).rejects.toThrow(/rejected the credentials/);
    expect(output).toMatch(/Demo failed at step \d+\. Login as carol and consent/);
    const pid = Number(/\bpid (\d+)\)/.exec(output)?.[1]);
    expect(isRunning(pid)).toBe(false);
  });

  it('parses its command line, naming a bad argument', () => {
    expect(parseDemoArgs([])).toEqual({
      sample: 'express',
      username: 'alice',
      verbose: false,
      help: false,
    });
    expect(parseDemoArgs(['--', '--sample', 'hono', '--user=bob', '-v'])).toEqual({
      sample: 'hono',
      username: 'bob',
      verbose: true,
      help: false,
    });
    expect(parseDemoArgs(['--sample=fastify']).sample).toBe('fastify');
    expect(() => parseDemoArgs(['--sample', 'koa'])).toThrow(
      /--sample must be one of express, fastify, hono \(got koa\)\nusage: pnpm demo/,
    );
    expect(() => parseDemoArgs(['--sample'])).toThrow(/got nothing/);
    expect(() => parseDemoArgs(['--user'])).toThrow(TypeError);
    expect(() => parseDemoArgs(['--colour'])).toThrow(/unknown argument --colour/);
  });
});
