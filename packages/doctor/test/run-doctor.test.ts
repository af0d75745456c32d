import { describe, expect, it } from 'vitest';
import { formatReport, parseDoctorArgs, readTokenCommand, runDoctor } from '../src/index.js';

const URL_ = 'http://127.0.0.1:9/mcp';

function capture(options: { isTTY?: boolean; env?: Record<string, string> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: { write: (text: string) => out.push(text), isTTY: options.isTTY ?? false },
      stderr: { write: (text: string) => err.push(text) },
      env: options.env ?? {},
    },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** A server that answers every request with a 401 carrying no challenge. */
const bareFetch = (async () => new Response('{}', { status: 401 })) as unknown as typeof fetch;

describe('parseDoctorArgs', () => {
  it('reads every flag', () => {
    expect(
      parseDoctorArgs([
        URL_,
        '--token',
        'abc',
        '--step-up-tool',
        'add_todo',
        '--origin',
        'https://app.example',
        '--json',
        '--no-color',
        '--timeout',
        '2500',
      ]),
    ).toEqual({
      url: URL_,
      token: 'abc',
      stepUpTool: 'add_todo',
      origin: 'https://app.example',
      json: true,
      color: false,
      timeoutMs: 2500,
      help: false,
    });
  });

  it.each([
    [[], /missing <url>/],
    [['a', 'b'], /expected one <url>/],
    [['mcp.example/mcp'], /<url> must be an absolute http\(s\) URL/],
    [[URL_, '--token'], /--token/],
    [[URL_, '--token', 'a', '--token-command', 'echo a'], /--token and --token-command/],
    [[URL_, '--timeout', '1.5'], /--timeout must be a whole number/],
    [[URL_, '--timeout', '0'], /--timeout/],
    [[URL_, '--origin', 'http://x.example/path'], /--origin must be an origin/],
    [[URL_, '--step-up-tool', 'add_todo'], /--step-up-tool needs a token/],
    [[URL_, '--colour'], /--colour/],
  ])('%j is a usage error naming the flag', (argv, message) => {
    expect(() => parseDoctorArgs(argv)).toThrow(message);
  });
});

describe('runDoctor', () => {
  it('exits 2 on a usage error, naming the flag on stderr', async () => {
    const { io, stdout, stderr } = capture();
    expect(await runDoctor([URL_, '--timeout', 'soon'], io)).toBe(2);
    expect(stderr()).toContain('--timeout must be');
    expect(stdout()).toBe('');
  });

  it('exits 1 when a check fails and prints saw / why / fix, without colours off a terminal', async () => {
    const { io, stdout } = capture();
    expect(await runDoctor([URL_], { ...io, fetch: bareFetch })).toBe(1);
    const text = stdout();
    expect(text).toContain(`mcp-auth-doctor ${URL_}`);
    expect(text).toMatch(/^✓ challenge\.status +unauthenticated initialize → 401$/m);
    expect(text).toMatch(/^✗ challenge\.parse +WWW-Authenticate parses/m);
    expect(text).toContain('    saw: the 401 has no WWW-Authenticate header');
    expect(text).toMatch(/^ {4}why: RFC 9110 §11\.6\.1/m);
    expect(text).toMatch(/^ {4}fix: /m);
    expect(text).toMatch(/^– challenge\.bearer +a Bearer challenge \(skipped: /m);
    expect(text).toMatch(/\d+ passed, \d+ warnings?, \d+ failed, \d+ skipped/);
    expect(text).not.toContain('\u001b[');
  });

  it('colours the marks on a terminal, unless NO_COLOR or --no-color', async () => {
    const tty = capture({ isTTY: true });
    await runDoctor([URL_], { ...tty.io, fetch: bareFetch });
    expect(tty.stdout()).toContain('\u001b[31m✗\u001b[0m');
    const noColor = capture({ isTTY: true, env: { NO_COLOR: '1' } });
    await runDoctor([URL_], { ...noColor.io, fetch: bareFetch });
    expect(noColor.stdout()).not.toContain('\u001b[');
    const flag = capture({ isTTY: true });
    await runDoctor([URL_, '--no-color'], { ...flag.io, fetch: bareFetch });
    expect(flag.stdout()).not.toContain('\u001b[');
  });

  it('prints only the structured result with --json, never the token', async () => {
    const token = 'secret-token-value-0123456789';
    const { io, stdout } = capture();
    expect(await runDoctor([URL_, '--json', '--token', token], { ...io, fetch: bareFetch })).toBe(
      1,
    );
    const result = JSON.parse(stdout()) as { url: string; checks: unknown[]; summary: unknown };
    expect(Object.keys(result)).toEqual(['url', 'checks', 'summary']);
    expect(result.url).toBe(URL_);
    expect(stdout()).not.toContain(token);
  });

  it('takes the token from --token-command and shows only its first 8 characters', async () => {
    const { io, stdout } = capture();
    await runDoctor([URL_, '--token-command', 'printf %s abcdefgh-the-rest-of-a-longer-token'], {
      ...io,
      fetch: bareFetch,
    });
    expect(stdout()).toContain('(token abcdefgh… from --token-command)');
    expect(stdout()).not.toContain('rest-of-a-longer-token');
  });

  it('shows none of a short token', async () => {
    const { io, stdout } = capture();
    await runDoctor([URL_, '--token', 'abcdefgh-short'], { ...io, fetch: bareFetch });
    expect(stdout()).toContain('(token (short, not shown))');
    expect(stdout()).not.toContain('abcdefgh');
  });

  it('exits 2 when --token-command fails', async () => {
    const { io, stderr } = capture();
    expect(await runDoctor([URL_, '--token-command', 'exit 3'], io)).toBe(2);
    expect(stderr()).toContain('--token-command failed (exit code 3)');
  });
});

describe('readTokenCommand', () => {
  it('returns the trimmed output', async () => {
    await expect(readTokenCommand("printf ' tok-123\\n'")).resolves.toBe('tok-123');
  });

  it('refuses empty output, several words, and a command that runs too long', async () => {
    await expect(readTokenCommand('true')).rejects.toThrow('--token-command printed no token');
    await expect(readTokenCommand('echo a b')).rejects.toThrow(/more than one word/);
    const started = Date.now();
    await expect(readTokenCommand('sleep 5', 200)).rejects.toThrow(/did not finish within 0.2 s/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('formatReport', () => {
  it('prints one line per check and the summary', () => {
    const text = formatReport({
      url: URL_,
      checks: [
        { id: 'a.one', title: 'first', status: 'pass', saw: 's', why: 'w' },
        { id: 'a.second', title: 'second', status: 'warn', saw: 'saw it', why: 'RFC', fix: 'do' },
      ],
      summary: { passed: 1, warnings: 1, failed: 0, skipped: 0 },
    });
    expect(text).toBe(
      [
        `mcp-auth-doctor ${URL_}`,
        '',
        '✓ a.one     first',
        '! a.second  second',
        '    saw: saw it',
        '    why: RFC',
        '    fix: do',
        '',
        '1 passed, 1 warning, 0 failed, 0 skipped',
        '',
      ].join('\n'),
    );
  });

  it('makes what a server sent inert on a terminal: no escape sequences, no forged lines', () => {
    const text = formatReport({
      url: URL_,
      checks: [
        {
          id: 'prm.json',
          title: 'metadata',
          status: 'fail',
          saw: 'body \u001b[2J\u001b[1;1H✓ all good\r\n32 passed\u009b',
          why: 'RFC 9728',
        },
      ],
      summary: { passed: 0, warnings: 0, failed: 1, skipped: 0 },
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(text).toContain(
      '    saw: body \ufffd[2J\ufffd[1;1H✓ all good\ufffd\ufffd32 passed\ufffd',
    );
  });
});
