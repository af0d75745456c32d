import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanPackageManagerEnv } from './consumer-project.js';
import { runCommand } from './run-command.js';

/** A Verdaccio registry running in a child process on 127.0.0.1. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** Process id of the registry's child process. */
  readonly pid: number;
  /**
   * A `.npmrc` holding the publish token of a user created for this registry (mode 0600),
   * for `NPM_CONFIG_USERCONFIG`. Its contents are never printed.
   */
  readonly npmrc: string;
  /** Stops the child process (SIGTERM, then SIGKILL after 5 s). */
  close(): Promise<void>;
}

/** Options for {@link startLocalRegistry}. */
export interface StartLocalRegistryOptions {
  /** Give up when the registry has not printed its port after this many ms. Default 30 000. */
  timeoutMs?: number;
  /** Package patterns anyone may read and the created user may publish. Default `['@org/*']`. */
  scopes?: readonly string[];
}

/**
 * Starts Verdaccio (the devDependency of this package) in `dir`: a configuration, storage
 * and htpasswd file in `dir`, no uplinks (only what is published here can be installed from
 * it), logs at `fatal`, the web UI off, listening on 127.0.0.1 on a free port. Then creates a
 * throwaway user through the registry's login endpoint and writes its token to
 * `dir/.npmrc`.
 *
 * @example
 * ```ts
 * const registry = await startLocalRegistry(mkdtempSync(join(tmpdir(), 'registry-')));
 * await publishWorkspace(root, registry);
 * await registry.close();
 * ```
 */
export async function startLocalRegistry(
  dir: string,
  options: StartLocalRegistryOptions = {},
): Promise<LocalRegistry> {
  const { timeoutMs = 30_000, scopes = ['@org/*'] } = options;
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const packages: Record<string, { access: string; publish: string }> = {};
  for (const scope of scopes) packages[scope] = { access: '$all', publish: '$authenticated' };
  // JSON is YAML: Verdaccio reads this file as its config.yaml.
  const config = {
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd') } },
    uplinks: {},
    packages,
    web: { enable: false },
    log: { type: 'stdout', format: 'pretty', level: 'fatal' },
  };
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const entry = pathToFileURL(createRequire(import.meta.url).resolve('verdaccio')).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER], {
    cwd: dir,
    env: isolatedEnv({ VERDACCIO_ENTRY: entry, VERDACCIO_CONFIG: configFile }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await waitForPort(child, timeoutMs);
  const url = `http://127.0.0.1:${port}`;
  const close = () => stopChildProcess(child);
  try {
    const token = await createUser(url);
    const npmrc = join(dir, '.npmrc');
    writeFileSync(npmrc, `//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });
    return { url, pid: child.pid!, npmrc, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Loads Verdaccio in the child, listens on a free loopback port and prints it as JSON. */
const RUNNER = `
const { runServer } = await import(process.env.VERDACCIO_ENTRY);
const server = await runServer(process.env.VERDACCIO_CONFIG);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write('\\n' + JSON.stringify({ verdaccioPort: server.address().port }) + '\\n');
});
`;

function waitForPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(
        new Error(`Verdaccio did not start: ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`),
      );
    };
    const timer = setTimeout(() => fail(`no port after ${timeoutMs} ms`), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /\{"verdaccioPort":(\d+)\}/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        // Keep draining its output so the child never blocks on a full pipe.
        child.stdout!.removeAllListeners('data').resume();
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
  });
}

/**
 * Stops a child process by its PID: SIGTERM, then SIGKILL if it has not exited after 5 s.
 *
 * @example
 * ```ts
 * await stopChildProcess(spawn('node', ['server.js']));
 * ```
 */
export function stopChildProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Creates a user with a random password (the npm login endpoint) and returns its token. */
async function createUser(url: string): Promise<string> {
  const name = `release-check-${randomBytes(4).toString('hex')}`;
  const response = await fetch(`${url}/-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: randomBytes(18).toString('base64url') }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; error?: unknown };
  if (response.status !== 201 || typeof body.token !== 'string') {
    throw new Error(`could not create a registry user: ${response.status} ${String(body.error)}`);
  }
  return body.token;
}

/**
 * An environment for a child package manager, meant for {@link runCommand} (which merges it
 * over `process.env`): every variable {@link cleanPackageManagerEnv} drops is set to
 * `undefined` here, so the child does not inherit it, and `extra` is added.
 *
 * @example
 * ```ts
 * await runCommand('pnpm', ['add', 'express'], { cwd, env: isolatedEnv({ CI: '1' }) });
 * ```
 */
export function isolatedEnv(
  extra: Record<string, string> = {},
): Record<string, string | undefined> {
  const dropped = Object.fromEntries(Object.keys(process.env).map((key) => [key, undefined]));
  return { ...dropped, ...cleanPackageManagerEnv(), ...extra };
}

/**
 * Publishes every non-private workspace package to `registry` the way a release does
 * (`pnpm publish -r`, which resolves `workspace:` ranges), with the registry's token from
 * its `.npmrc` and no git checks. Returns what pnpm printed.
 *
 * @example
 * ```ts
 * await publishWorkspace(repositoryRoot(), registry);
 * ```
 */
export async function publishWorkspace(
  root: string,
  registry: LocalRegistry,
  timeoutMs = 60_000,
): Promise<string> {
  const { stdout } = await runCommand(
    'pnpm',
    ['publish', '-r', '--no-git-checks', '--registry', `${registry.url}/`],
    {
      cwd: root,
      env: isolatedEnv({ NPM_CONFIG_USERCONFIG: registry.npmrc }),
      timeoutMs,
    },
  );
  return stdout;
}
