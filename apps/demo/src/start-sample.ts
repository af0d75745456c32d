import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The sample MCP servers, one per adapter, in `apps/sample-<name>`.
 *
 * @example
 * ```ts
 * for (const name of SAMPLE_NAMES) await startSample({ name, port: await findFreePort(), issuer });
 * ```
 */
export const SAMPLE_NAMES = ['express', 'fastify', 'hono'] as const;

/**
 * One of {@link SAMPLE_NAMES}.
 *
 * @example
 * ```ts
 * const name: SampleName = 'hono';
 * ```
 */
export type SampleName = (typeof SAMPLE_NAMES)[number];

/**
 * The MCP SDK line a sample's entry is built on.
 *
 * @example
 * ```ts
 * const sdk: SdkLine = 'v2';
 * ```
 */
export type SdkLine = 'v1' | 'v2';

/** Every {@link SdkLine}. */
export const SDK_LINES: readonly SdkLine[] = ['v1', 'v2'];

/**
 * Options of {@link startSample}.
 *
 * @example
 * ```ts
 * const options: StartSampleOptions = { name: 'express', port: 3001, issuer: 'http://127.0.0.1:9400' };
 * ```
 */
export interface StartSampleOptions {
  /** Which sample: `apps/sample-<name>`. */
  name: SampleName;
  /**
   * Which entry: `'v1'` (`npm start`, MCP SDK 1.x) or `'v2'` (`npm run start:v2`, MCP SDK v2).
   * Default `'v1'`.
   */
  sdk?: SdkLine;
  /** `PORT` for the sample. */
  port: number;
  /** `MCP_AUTH_ISSUER` for the sample. */
  issuer: string;
  /** `HOST`. Default `'127.0.0.1'`. */
  host?: string;
  /** `MCP_RESOURCE_URL`. Default `http://<host>:<port>/mcp`. */
  resource?: string;
  /** More environment variables for the sample. */
  env?: Record<string, string>;
  /** How long to wait for the sample to answer, in ms. Default `30_000`. */
  readyTimeout?: number;
  /** Called with each line the sample prints (stdout and stderr). Default: kept in memory only. */
  onOutput?: (line: string) => void;
  /** Repository root. Default: found from this file's location. */
  repoRoot?: string;
}

/**
 * A sample started by {@link startSample}.
 *
 * @example
 * ```ts
 * const sample = await startSample({ name: 'express', port, issuer });
 * console.log(sample.resource); // http://127.0.0.1:<port>/mcp
 * await sample.stop();
 * ```
 */
export interface RunningSample {
  name: SampleName;
  /** Process id of the `pnpm` process leading the sample's process group. */
  pid: number;
  /** `http://<host>:<port>` */
  origin: string;
  /** The MCP endpoint and canonical resource URI (`MCP_RESOURCE_URL`). */
  resource: string;
  /** The last lines the sample printed. */
  output(): string;
  /** Stops the sample's whole process group (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // The child leads its own process group (`detached`), so pnpm, tsx and node all get it.
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

/** `pnpm` as the current `pnpm run` invoked it, else the one on `PATH`. */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath) && /\.c?js$/.test(execPath)) {
    return [process.execPath, [execPath]];
  }
  return ['pnpm', []];
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `apps/sample-<name>` with `pnpm --dir apps/sample-<name> start` (`start:v2` for
 * `sdk: 'v2'`) as a child process (in
 * its own process group) and resolves once its Protected Resource Metadata answers 200. Rejects
 * with the sample's output if it exits or does not answer in time. Children still running when
 * this process exits are killed.
 *
 * @example
 * ```ts
 * const sample = await startSample({ name: 'fastify', port: 3002, issuer: as.issuer });
 * try {
 *   // … talk to sample.resource …
 * } finally {
 *   await sample.stop();
 * }
 * ```
 */
export async function startSample(options: StartSampleOptions): Promise<RunningSample> {
  const { name, port, issuer } = options;
  if (!(SAMPLE_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(`startSample: "name" must be one of ${SAMPLE_NAMES.join(', ')}`);
  }
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TypeError('startSample: "port" must be an integer between 1 and 65535');
  }
  const host = options.host ?? '127.0.0.1';
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const resource = options.resource ?? `${origin}/mcp`;
  const repoRoot = options.repoRoot ?? fileURLToPath(new URL('../../../', import.meta.url));
  if (options.sdk !== undefined && !SDK_LINES.includes(options.sdk)) {
    throw new TypeError(`startSample: "sdk" must be one of ${SDK_LINES.join(', ')}`);
  }
  const script = options.sdk === 'v2' ? 'start:v2' : 'start';
  const [command, prefix] = pnpmCommand();
  const lines: string[] = [];

  installExitHook();
  const child = spawn(command, [...prefix, '--dir', `apps/sample-${name}`, script], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...options.env,
      PORT: String(port),
      HOST: host,
      MCP_AUTH_ISSUER: issuer,
      MCP_RESOURCE_URL: resource,
      NO_COLOR: '1',
    },
  });
  live.add(child);
  // 'exit' does not come when the spawn itself failed (e.g. pnpm not on PATH); 'error' does.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exited.then(() => live.delete(child));

  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const output = () => lines.join('\n');
  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    // tsx or node may outlive pnpm for a moment; make sure the whole group is gone.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // group already empty
      }
    }
  };

  const deadline = Date.now() + (options.readyTimeout ?? 30_000);
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource${new URL(resource).pathname.replace(/\/$/, '')}`;
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  if (child.pid === undefined) await exited;
  while (Date.now() < deadline) {
    if (spawnError) {
      const hint =
        (spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? ' (is pnpm on PATH?)' : '';
      await stop();
      throw new Error(
        `sample-${name} could not be started with \`${command} ${[...prefix, '--dir', `apps/sample-${name}`, script].join(' ')}\`: ${spawnError.message}${hint}`,
      );
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `sample-${name} exited (${child.exitCode ?? child.signalCode}) before listening on ${origin}:\n${output()}`,
      );
    }
    try {
      const response = await fetch(metadataUrl, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) {
        return { name, pid: child.pid ?? -1, origin, resource, output, stop };
      }
    } catch {
      // not listening yet
    }
    await delay(150);
  }
  await stop();
  throw new Error(
    `sample-${name} did not answer ${metadataUrl} within ${options.readyTimeout ?? 30_000} ms:\n${output()}`,
  );
}
