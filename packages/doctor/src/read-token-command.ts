import { spawn } from 'node:child_process';
import { UsageError } from './parse-doctor-args.js';

/** How long `--token-command` may run. */
export const TOKEN_COMMAND_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Runs `command` through the shell and returns what it printed, trimmed: the token. Its
 * standard error goes to ours; its output is never echoed. Throws a {@link UsageError} when it
 * fails, prints nothing, or runs longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * const token = await readTokenCommand('cat ~/.cache/my-token');
 * ```
 */
export function readTokenCommand(
  command: string,
  timeoutMs: number = TOKEN_COMMAND_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout stops the shell and everything it started.
    const child = spawn(command, {
      shell: true,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: UsageError | undefined, token?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(token!);
    };
    const timer = setTimeout(() => {
      kill();
      finish(new UsageError(`--token-command did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_OUTPUT_BYTES) {
        kill();
        finish(new UsageError('--token-command printed more than 64 KiB'));
        return;
      }
      chunks.push(chunk);
    });
    child.on('error', (error) => {
      finish(new UsageError(`--token-command could not run: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      if (code !== 0) {
        finish(
          new UsageError(
            `--token-command failed (${signal ? `signal ${signal}` : `exit code ${code}`})`,
          ),
        );
        return;
      }
      const token = Buffer.concat(chunks).toString('utf8').trim();
      if (!token) finish(new UsageError('--token-command printed no token'));
      else if (/\s/.test(token)) {
        finish(new UsageError('--token-command printed more than one word; print only the token'));
      } else finish(undefined, token);
    });
  });
}
