import type { StateStore } from '@org/mcp-auth-core';
import { createClient } from 'redis';

/**
 * The one thing the store needs from a Redis client: `sendCommand`, as node-redis 5 clients
 * (`createClient()`) have it. The store only sends `SET … NX PX`, `GET`, `PEXPIRE` and `DEL`.
 */
export interface RedisCommandClient {
  sendCommand(args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Options of {@link createRedisStore}: either `url` (the store creates, connects and closes its
 * own client) or `client` (yours, connected by you).
 * @example
 * ```ts
 * createRedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'todo-mcp:' });
 * ```
 */
export interface RedisStoreOptions {
  /** `redis://…` or `rediss://…` URL of the server the store connects to. */
  url?: string;
  /**
   * A node-redis client you created and connect yourself (then `close()` leaves it open). Give
   * it `disableOfflineQueue: true`, or commands sent while it reconnects wait for the timeout.
   */
  client?: RedisCommandClient;
  /**
   * Prefix of every key the store writes, so several servers (or environments) can share one
   * Redis without meeting. Default `'mcp-auth:'`.
   */
  keyPrefix?: string;
  /**
   * Longest wait for one command, in milliseconds: a Redis that does not answer in time is
   * treated as unreachable (the request gets 503 + `Retry-After`), so a hung Redis never hangs a
   * request. Default 1000.
   */
  commandTimeoutMs?: number;
  /** Longest wait for a connection (`url` only), in milliseconds. Default 2000. */
  connectTimeoutMs?: number;
  /**
   * Told why commands fail (a refused connection, a timeout), at most once per 30 s; the
   * requests themselves get 503. Default none.
   */
  logger?: { warn(message: string): void };
}

/**
 * A {@link StateStore} on Redis, plus the client's life cycle.
 * @example
 * ```ts
 * const store: RedisStore = createRedisStore({ url: process.env.REDIS_URL });
 * await store.close();
 * ```
 */
export interface RedisStore extends StateStore {
  setIfAbsent(key: string, ttlMs: number, value?: string): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  touch(key: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Connects now (`url` only; the first command connects otherwise). Rejects when it cannot. */
  connect(): Promise<void>;
  /** Closes the client the store created (`url`); a `client` you gave stays open. */
  close(): Promise<void>;
}

const DEFAULT_PREFIX = 'mcp-auth:';
const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const WARN_EVERY_MS = 30_000;

/** The error every failed command rejects with: what failed, never a key or a value. */
export class RedisStoreError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RedisStoreError';
  }
}

function optionError(option: string, rule: string): TypeError {
  return new TypeError(`mcp-auth-redis: option "${option}" ${rule}`);
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw optionError(option, 'must be a positive integer of milliseconds');
  }
  return value;
}

/** Waits at most `ms` for `work`, aborting the command when the time is up. */
function withDeadline<T>(
  what: string,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new RedisStoreError(`redis ${what} did not answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([
    work(controller.signal).catch((error: unknown) => {
      throw error instanceof RedisStoreError
        ? error
        : new RedisStoreError(`redis ${what} failed: ${messageOf(error)}`, error);
    }),
    deadline,
  ]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 200);
}

/**
 * The `StateStore` of `createMcpAuth({ store })` on Redis: session bindings (and DPoP replay
 * marks, introspection results) shared by every instance of an MCP server. Each entry is one
 * key with its TTL kept by Redis (`SET key value NX PX ttl`), so nothing sweeps. A command that
 * fails or does not answer within `commandTimeoutMs` rejects with {@link RedisStoreError}, and the
 * core answers 503 + `Retry-After` — fail closed, never allowed. Throws a `TypeError` naming a
 * bad option.
 *
 * @example
 * ```ts
 * import { createMcpAuth } from '@org/mcp-auth-core';
 * import { createRedisStore } from '@org/mcp-auth-redis';
 *
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379' });
 * const auth = createMcpAuth({ resource, issuer, store });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== 'object' || options === null) {
    throw optionError('options', 'must be an object ({ url } or { client })');
  }
  const { url, client: given, logger } = options;
  if ((url === undefined) === (given === undefined)) {
    throw optionError('url', 'or "client" must be given, not both');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw optionError('url', 'must be a redis:// or rediss:// URL');
  }
  if (
    given !== undefined &&
    typeof (given as { sendCommand?: unknown }).sendCommand !== 'function'
  ) {
    throw optionError('client', 'must be a node-redis client (with sendCommand)');
  }
  const prefix = options.keyPrefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string') throw optionError('keyPrefix', 'must be a string');
  const commandTimeoutMs = positiveInteger(
    options.commandTimeoutMs,
    'commandTimeoutMs',
    DEFAULT_COMMAND_TIMEOUT_MS,
  );
  const connectTimeoutMs = positiveInteger(
    options.connectTimeoutMs,
    'connectTimeoutMs',
    DEFAULT_CONNECT_TIMEOUT_MS,
  );
  if (logger !== undefined && typeof logger?.warn !== 'function') {
    throw optionError('logger', 'must have a warn(message) method');
  }

  let warnedAt = Number.NEGATIVE_INFINITY;
  const warn = (message: string) => {
    if (logger === undefined || Date.now() - warnedAt < WARN_EVERY_MS) return;
    warnedAt = Date.now();
    try {
      logger.warn(`mcp-auth-redis: ${message}`);
    } catch {
      // A logger must never break a request.
    }
  };

  const own =
    url === undefined
      ? undefined
      : createClient({
          url,
          // Rejected at once while reconnecting rather than queued without bound.
          disableOfflineQueue: true,
          socket: {
            connectTimeout: connectTimeoutMs,
            reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
          },
        });
  // Without a listener an 'error' event would end the process; the requests report it instead.
  own?.on('error', (error: unknown) => warn(`connection error: ${messageOf(error)}`));
  let connecting: Promise<void> | undefined;
  /**
   * The first connection, shared by every command that arrives before it is up (each still
   * bounded by its deadline). A client that lost its connection reconnects by itself, and
   * commands meanwhile fail at once (`disableOfflineQueue`).
   */
  const connect = (): Promise<void> => {
    if (own === undefined || own.isReady) return Promise.resolve();
    if (connecting !== undefined) return connecting;
    if (own.isOpen) return Promise.resolve(); // reconnecting on its own
    connecting = own.connect().then(
      () => {
        connecting = undefined;
      },
      (error: unknown) => {
        connecting = undefined;
        throw error;
      },
    );
    return connecting;
  };
  const client: RedisCommandClient = given ?? (own as unknown as RedisCommandClient);

  const send = (what: string, args: string[]): Promise<unknown> =>
    withDeadline(what, commandTimeoutMs, async (abortSignal) => {
      if (own !== undefined && !own.isReady) await connect();
      return client.sendCommand(args, { abortSignal });
    }).catch((error: unknown) => {
      warn(messageOf(error));
      throw error;
    });
  const ttl = (ttlMs: number) => String(Math.max(1, Math.ceil(ttlMs)));

  return {
    async setIfAbsent(key, ttlMs, value = '1') {
      const reply = await send('SET NX', ['SET', prefix + key, value, 'NX', 'PX', ttl(ttlMs)]);
      return reply === 'OK';
    },
    async get(key) {
      const reply = await send('GET', ['GET', prefix + key]);
      return typeof reply === 'string' ? reply : undefined;
    },
    async touch(key, ttlMs) {
      const reply = await send('PEXPIRE', ['PEXPIRE', prefix + key, ttl(ttlMs)]);
      return reply === 1 || reply === true;
    },
    async delete(key) {
      await send('DEL', ['DEL', prefix + key]);
    },
    connect: () =>
      withDeadline('connect', connectTimeoutMs, () => connect()).catch((error: unknown) => {
        warn(messageOf(error));
        throw error;
      }),
    async close() {
      if (own === undefined || !own.isOpen) return;
      try {
        await own.close();
      } catch {
        own.destroy();
      }
    },
  };
}
