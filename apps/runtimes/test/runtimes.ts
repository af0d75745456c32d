import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dist = join(appRoot, 'dist');

/** A binary shipped inside a registry platform package; made executable if the unpack lost it. */
function packagedBinary(pkg: string, file: string): string {
  const path = join(dirname(require.resolve(`${pkg}/package.json`)), file);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    chmodSync(path, 0o755);
  }
  return path;
}

export const binaries = {
  bun: () => packagedBinary('@oven/bun-linux-x64', 'bin/bun'),
  deno: () => packagedBinary('@deno/linux-x64-glibc', 'deno'),
  workerd: () => packagedBinary('@cloudflare/workerd-linux-64', 'bin/workerd'),
};

/** A server process of one runtime, listening on 127.0.0.1. */
export interface RunningServer {
  readonly url: string;
  readonly pid: number;
  /** Everything it printed (for a failure message). */
  output(): string;
  stop(): Promise<void>;
}

/** The environment the app reads (`readConfig`). */
export type AppEnv = Record<string, string>;

const STARTUP_MS = 15_000;

function track(child: ChildProcess): { output: () => string } {
  let out = '';
  const add = (chunk: Buffer) => {
    if (out.length < 20_000) out += chunk.toString('utf8');
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return { output: () => out };
}

/** Every server started and not yet stopped, by PID. */
const running = new Map<number, () => Promise<void>>();

/** Stops every server still running (a test that failed before stopping its own). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running.values()].map((stop) => stop()));
}

/** Stops `child` by its PID: SIGTERM, then SIGKILL after 2 s. */
function stopper(child: ChildProcess): () => Promise<void> {
  const stop = () =>
    new Promise<void>((resolve) => {
      running.delete(child.pid as number);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  if (child.pid !== undefined) running.set(child.pid, stop);
  return stop;
}

/**
 * Resolves with the first match of `pattern` in what `stream` prints; rejects when the process
 * exits first or after {@link STARTUP_MS}.
 */
function waitFor(
  child: ChildProcess,
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  output: () => string,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no start within ${STARTUP_MS} ms:\n${output()}`));
    }, STARTUP_MS);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = seen.match(pattern);
      if (match) {
        done();
        resolve(match);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`exited (${code}) before listening:\n${output()}`));
    };
    function done() {
      clearTimeout(timer);
      stream.off('data', onData);
      child.off('exit', onExit);
    }
    stream.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Polls `url` until it answers (any status), at most {@link STARTUP_MS}. */
async function waitUntilAnswering(url: string): Promise<void> {
  const until = Date.now() + STARTUP_MS;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** Starts one of the process entries (Node, Bun, Deno) on a free port. */
export async function startProcess(
  runtime: 'node' | 'bun' | 'deno',
  env: AppEnv,
  tempDir: string,
): Promise<RunningServer> {
  const entry = join(dist, `entry-${runtime}.js`);
  const [command, args] =
    runtime === 'node'
      ? [process.execPath, [entry]]
      : runtime === 'bun'
        ? [binaries.bun(), ['--no-install', 'run', entry]]
        : [binaries.deno(), ['run', '--allow-net', '--allow-env', '--no-prompt', entry]];
  const child = spawn(command, args, {
    cwd: tempDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: tempDir,
      PORT: '0',
      HOST: '127.0.0.1',
      DENO_DIR: join(tempDir, 'deno'),
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
      DO_NOT_TRACK: '1',
      ...env,
    },
  });
  return started(child, child.stdout as NodeJS.ReadableStream, (match) => match[1] as string);
}

async function started(
  child: ChildProcess,
  stream: NodeJS.ReadableStream,
  urlOf: (match: RegExpMatchArray) => string,
  pattern = LISTENING,
): Promise<RunningServer> {
  const { output } = track(child);
  const stop = stopper(child);
  try {
    const url = urlOf(await waitFor(child, stream, pattern, output));
    await waitUntilAnswering(`${url}/.well-known/oauth-protected-resource`);
    return { url, pid: child.pid as number, output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A capnp string literal. */
const capnpText = (value: string) => JSON.stringify(value);

/**
 * Starts workerd on a free port from a config written to `tempDir`: one `Workers` service with
 * the bundled module, and the `internet` network (every fetch's default outbound) opened to
 * private and local addresses — workerd's default denies them, and the issuer is on 127.0.0.1.
 * No `nodejs_compat`: the bundle uses Web APIs only.
 * The port comes from workerd's control channel (fd 3).
 */
export async function startWorkerd(
  bundle: string,
  compatibilityDate: string,
  env: AppEnv,
  tempDir: string,
): Promise<RunningServer> {
  copyFileSync(bundle, join(tempDir, 'worker.js'));
  const bindings = Object.entries(env)
    .map(([name, value]) => `(name = ${capnpText(name)}, text = ${capnpText(value)})`)
    .join(',\n      ');
  writeFileSync(
    join(tempDir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .app),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const app :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = ${capnpText(compatibilityDate)},
  bindings = [
      ${bindings}
  ],
);
`,
  );
  const child = spawn(binaries.workerd(), ['serve', 'config.capnp', '--control-fd=3'], {
    cwd: tempDir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: tempDir },
  });
  const control = child.stdio[3] as NodeJS.ReadableStream;
  return started(
    child,
    control,
    (match) => `http://127.0.0.1:${match[1]}`,
    /"event":"listen","socket":"http","port":(\d+)/,
  );
}
