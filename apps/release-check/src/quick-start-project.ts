import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isolatedEnv, stopChildProcess } from './local-registry.js';
import { runCommand } from './run-command.js';

/** What {@link createQuickStartProject} installs and compiles. */
export interface QuickStartProjectOptions {
  /** Empty directory outside the workspace to create the project in. */
  dir: string;
  /** Registry that serves the `@org` scope (everything else: the default registry). */
  scopeRegistry: string;
  /** `pnpm add` specs, e.g. `['@org/mcp-auth-express', 'express@5.3.0']`. */
  dependencies: readonly string[];
  /** `pnpm add -D` specs, e.g. `['typescript@6.0.3']`; must include `typescript`. */
  devDependencies: readonly string[];
  /** The program, written to `src/server.ts` and compiled to `dist/server.js`. */
  source: string;
  /** Bound for each command. Default 120 000 ms. */
  timeoutMs?: number;
}

/** Milliseconds spent in each step of {@link createQuickStartProject}. */
export interface QuickStartTimings {
  installMs: number;
  compileMs: number;
}

/**
 * Creates an ES module project in `dir` the way a user would: `pnpm add` by name (the `@org`
 * scope from `scopeRegistry`, given on the command line; `--prefer-offline`, so the pnpm
 * store answers what it already holds), then `tsc` compiles `src/server.ts` under
 * `nodenext` and `strict`.
 *
 * @example
 * ```ts
 * await createQuickStartProject({ dir, scopeRegistry: registry.url, dependencies, devDependencies, source });
 * ```
 */
export async function createQuickStartProject(
  options: QuickStartProjectOptions,
): Promise<QuickStartTimings> {
  const { dir, timeoutMs = 120_000 } = options;
  const env = isolatedEnv();
  const started = performance.now();
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'quick-start', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const common = ['--prefer-offline', `--config.@org:registry=${options.scopeRegistry}/`];
  await runCommand('pnpm', ['add', ...options.dependencies, ...common], {
    cwd: dir,
    env,
    timeoutMs,
  });
  await runCommand('pnpm', ['add', '-D', ...options.devDependencies, ...common], {
    cwd: dir,
    env,
    timeoutMs,
  });
  const installed = performance.now();
  writeFileSync(join(dir, 'src/server.ts'), options.source);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      skipLibCheck: true,
      outDir: 'dist',
      rootDir: 'src',
    },
    include: ['src'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  await runCommand(
    'node',
    [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'],
    {
      cwd: dir,
      env,
      timeoutMs,
    },
  );
  return {
    installMs: Math.round(installed - started),
    compileMs: Math.round(performance.now() - installed),
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; a race with other processes is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A compiled quick start running in a child process. */
export interface RunningServer {
  readonly pid: number;
  /** What the process printed so far (stdout and stderr). */
  output(): string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Runs `node dist/server.js` in `dir` and resolves once `readyUrl` answers 200 (polled every
 * 100 ms). Rejects with the server's output when it exits first or after `timeoutMs`.
 *
 * @example
 * ```ts
 * const server = await startServer(dir, `${origin}/.well-known/oauth-protected-resource/mcp`);
 * await server.stop();
 * ```
 */
export async function startServer(
  dir: string,
  readyUrl: string,
  timeoutMs = 20_000,
): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, ['dist/server.js'], {
    cwd: dir,
    env: isolatedEnv({ NODE_ENV: 'production' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const running: RunningServer = {
    pid: child.pid!,
    output: () => output,
    stop: () => stopChildProcess(child),
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the quick start exited before answering:\n${output}`);
    }
    const status = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return running;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await running.stop();
  throw new Error(`the quick start did not answer ${readyUrl} within ${timeoutMs} ms:\n${output}`);
}
