import { checkResourceServer } from '@org/mcp-auth-testing';
import { formatReport } from './format-report.js';
import { DOCTOR_USAGE, parseDoctorArgs, UsageError } from './parse-doctor-args.js';
import { readTokenCommand } from './read-token-command.js';

/** How the header line names the token: its first 8 characters, none of a short one. */
function tokenLabel(token: string): string {
  return token.length < 24 ? '(short, not shown)' : `${token.slice(0, 8)}…`;
}

/** Where {@link runDoctor} writes, and what it reads of its environment. */
export interface DoctorIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** The `fetch` for the checks. Default the global one. */
  fetch?: typeof fetch;
}

/**
 * The `mcp-auth-doctor` command: parses `argv`, runs {@link checkResourceServer}, prints the
 * report (or `--json`), and resolves to the exit code — 0 when nothing failed, 1 when a check
 * failed, 2 for a usage error. Never rejects; never prints the token.
 *
 * @example
 * ```ts
 * process.exitCode = await runDoctor(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export async function runDoctor(argv: readonly string[], io: DoctorIo): Promise<number> {
  let args: ReturnType<typeof parseDoctorArgs>;
  try {
    args = parseDoctorArgs(argv);
  } catch (error) {
    io.stderr.write(
      `mcp-auth-doctor: ${(error as Error).message}\nRun mcp-auth-doctor --help for the options.\n`,
    );
    return 2;
  }
  if (args.help) {
    io.stdout.write(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  let token = args.token;
  let tokenNote: string | undefined;
  if (args.tokenCommand !== undefined) {
    try {
      token = await readTokenCommand(args.tokenCommand);
    } catch (error) {
      io.stderr.write(`mcp-auth-doctor: ${(error as Error).message}\n`);
      return 2;
    }
  }
  if (token !== undefined) {
    tokenNote = `token ${tokenLabel(token)}${args.tokenCommand !== undefined ? ' from --token-command' : ''}`;
  }
  try {
    const result = await checkResourceServer({
      url: args.url,
      ...(token !== undefined ? { token } : {}),
      ...(args.stepUpTool !== undefined ? { stepUpTool: args.stepUpTool } : {}),
      ...(args.origin !== undefined ? { origin: args.origin } : {}),
      ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    });
    if (args.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
      const color = args.color && !noColor && io.stdout.isTTY === true;
      io.stdout.write(formatReport(result, { color, ...(tokenNote ? { tokenNote } : {}) }));
    }
    return result.summary.failed === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof TypeError || error instanceof UsageError) {
      io.stderr.write(`mcp-auth-doctor: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    const safe = token ? message.split(token).join(`${token.slice(0, 8)}…`) : message;
    io.stderr.write(`mcp-auth-doctor: the checks stopped: ${safe}\n`);
    return 1;
  }
}
