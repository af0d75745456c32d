import { spawn } from 'node:child_process';

/** Options for {@link runCommand}. */
export interface RunCommandOptions {
  /** Working directory of the child process. */
  cwd: string;
  /** Extra environment variables, merged over `process.env`. */
  env?: Record<string, string | undefined>;
  /** Kill the child and reject after this many milliseconds. Default 120 000. */
  timeoutMs?: number;
}

/** What a finished command printed. */
export interface RunCommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion and resolves with its output, or rejects with an error that
 * carries the command line, the exit status and everything it printed.
 *
 * @example
 * ```ts
 * const { stdout } = await runCommand('git', ['ls-files'], { cwd: repositoryRoot });
 * ```
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions,
): Promise<RunCommandResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const status = signal ? `killed by ${signal} (timeout ${timeoutMs} ms?)` : `exit ${code}`;
      reject(
        new Error(
          `${command} ${args.join(' ')} (in ${options.cwd}) failed: ${status}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
        ),
      );
    });
  });
}
