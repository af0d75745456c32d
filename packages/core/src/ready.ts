import { prepareOf } from './core-brand.js';
import { McpAuthConfigError } from './errors.js';
import { describeFailure, describeMistake, isTransientFailure } from './key-set-failure.js';
import type { McpAuthLogger } from './logger.js';

/**
 * Options of `auth.ready()`.
 *
 * @example
 * ```ts
 * await auth.ready({ timeoutMs: 30_000 });
 * ```
 */
export interface ReadyOptions {
  /**
   * How long to keep retrying an authorization server that cannot be reached, ms (each try
   * also has the verifier's own `timeoutMs`). Default 15 000. `0`: try once.
   */
  timeoutMs?: number;
}

/**
 * What `auth.ready()` found: `ready` when the authorization server's metadata and key set were
 * loaded; otherwise the server could not be reached within the deadline, and `problems` says
 * why (requests get 503 until it answers, then work without a restart).
 *
 * @example
 * ```ts
 * const report = await auth.ready();
 * if (!report.ready) console.warn(report.problems.join('\n'));
 * ```
 */
export interface ReadyReport {
  ready: boolean;
  problems: string[];
}

const DEFAULT_TIMEOUT_MS = 15_000;
const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Loads what `verifier` needs from its authorization servers now. A server that answers with
 * something that does not match the configuration (metadata naming another issuer, no
 * metadata at either location, a JWKS that is not one) rejects with `McpAuthConfigError`
 * naming the mismatch; one that cannot be reached yet is retried until `timeoutMs`, with a
 * warning to `logger`, and reported rather than thrown. A verifier without a start-up check
 * (a custom one) is ready at once.
 */
export async function whenReady(
  verifier: unknown,
  logger: McpAuthLogger | undefined,
  options: ReadyOptions = {},
): Promise<ReadyReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
    throw new McpAuthConfigError('ready.timeoutMs', 'must be a number of milliseconds (≥ 0)');
  }
  const prepare = prepareOf(verifier);
  if (prepare === undefined) return { ready: true, problems: [] };
  const deadline = Date.now() + timeoutMs;
  let delay = FIRST_RETRY_MS;
  let warned = false;
  for (;;) {
    const failed = await prepare();
    const mistake = failed.find((f) => !isTransientFailure(f.error));
    if (mistake !== undefined) {
      throw new McpAuthConfigError(
        'issuer',
        `'${mistake.issuer}' does not match its authorization server: ${describeMistake(mistake.error)}`,
      );
    }
    if (failed.length === 0) return { ready: true, problems: [] };
    const problems = failed.map((f) => describeFailure(f.error));
    const left = deadline - Date.now();
    if (left <= 0) {
      warn(
        logger,
        `the authorization server still cannot be reached after ${seconds(timeoutMs)}; requests get 503 until it answers: ${problems.join('; ')}`,
      );
      return { ready: false, problems };
    }
    if (!warned) {
      warned = true;
      warn(
        logger,
        `the authorization server cannot be reached yet; retrying for up to ${seconds(timeoutMs)}: ${problems.join('; ')}`,
      );
    }
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, LONGEST_RETRY_MS);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function warn(logger: McpAuthLogger | undefined, message: string): void {
  try {
    logger?.warn(`mcp-auth: ${message}`);
  } catch {
    // A logger must never break start-up.
  }
}
