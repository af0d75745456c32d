import { parseArgs } from 'node:util';

/** The command line, parsed and checked. */
export interface DoctorArgs {
  url: string;
  token?: string;
  tokenCommand?: string;
  stepUpTool?: string;
  origin?: string;
  json: boolean;
  color: boolean;
  timeoutMs?: number;
  help: boolean;
}

/** A command line the doctor cannot run with (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The `--help` text. */
export const DOCTOR_USAGE = `Usage: mcp-auth-doctor <url> [options]

Checks the OAuth setup of the MCP server at <url> the way MCP clients meet it.

Options:
  --token <jwt>            an access token for the server (never printed)
  --token-command "<cmd>"  a shell command that prints the token (30 s limit)
  --step-up-tool <name>    a tool the token has no scope for: checks the 403
  --origin <origin>        the browser origin of the CORS checks (default http://localhost:6274)
  --json                   print the structured result only
  --no-color               no colours (also when NO_COLOR is set or output is not a terminal)
  --timeout <ms>           deadline for each request (default 5000)
  -h, --help               this text

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 a usage error.`;

/**
 * Parses the doctor's arguments (without `node` and the script). Throws a {@link UsageError}
 * naming the flag on anything it cannot use.
 *
 * @example
 * ```ts
 * parseDoctorArgs(['http://127.0.0.1:3000/mcp', '--json']); // { url, json: true, … }
 * ```
 */
export function parseDoctorArgs(argv: readonly string[]): DoctorArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const args: DoctorArgs = {
    url: '',
    json: values.json === true,
    color: values['no-color'] !== true,
    help: values.help === true,
  };
  if (args.help) return args;
  if (positionals.length === 0) throw new UsageError('missing <url>: the MCP endpoint to check');
  if (positionals.length > 1) {
    throw new UsageError(`expected one <url>, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const url = positionals[0]!;
  let parsedUrl: URL | undefined;
  try {
    parsedUrl = new URL(url);
  } catch {
    parsedUrl = undefined;
  }
  if (!parsedUrl || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:')) {
    throw new UsageError(`<url> must be an absolute http(s) URL, got "${url}"`);
  }
  args.url = url;
  if (values.token !== undefined && values['token-command'] !== undefined) {
    throw new UsageError('--token and --token-command cannot be used together');
  }
  if (values.token !== undefined) {
    if (!values.token.trim()) throw new UsageError('--token is empty');
    args.token = values.token.trim();
  }
  if (values['token-command'] !== undefined) {
    if (!values['token-command'].trim()) throw new UsageError('--token-command is empty');
    args.tokenCommand = values['token-command'];
  }
  if (values['step-up-tool'] !== undefined) {
    if (!values['step-up-tool']) throw new UsageError('--step-up-tool needs a tool name');
    if (args.token === undefined && args.tokenCommand === undefined) {
      throw new UsageError('--step-up-tool needs a token (--token or --token-command)');
    }
    args.stepUpTool = values['step-up-tool'];
  }
  if (values.origin !== undefined) {
    let origin: string | undefined;
    try {
      origin = new URL(values.origin).origin;
    } catch {
      origin = undefined;
    }
    if (origin !== values.origin) {
      throw new UsageError(
        `--origin must be an origin such as http://localhost:6274 (no path), got "${values.origin}"`,
      );
    }
    args.origin = values.origin;
  }
  if (values.timeout !== undefined) {
    const ms = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || ms < 1 || ms > 600_000) {
      throw new UsageError(
        `--timeout must be a whole number of milliseconds from 1 to 600000, got "${values.timeout}"`,
      );
    }
    args.timeoutMs = ms;
  }
  return args;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      token: { type: 'string' },
      'token-command': { type: 'string' },
      'step-up-tool': { type: 'string' },
      origin: { type: 'string' },
      json: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
