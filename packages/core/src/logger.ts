import { McpAuthConfigError } from './errors.js';
import { describeFailure } from './key-set-failure.js';

/**
 * Where the core tells an operator what it cannot fix itself: pino, `console`, or anything
 * with a `warn(message)` method (only `warn` is used). Off by default. Messages never hold a
 * token.
 *
 * @example
 * ```ts
 * createMcpAuth({ ..., logger: console });
 * createMcpAuth({ ..., logger: pino() });
 * ```
 */
export interface McpAuthLogger {
  warn(message: string): void;
}

/** Throws `McpAuthConfigError` unless `value` is undefined or has a `warn` function. */
export function checkLogger(value: unknown): void {
  if (value === undefined) return;
  if (
    (typeof value !== 'object' && typeof value !== 'function') ||
    value === null ||
    typeof (value as { warn?: unknown }).warn !== 'function'
  ) {
    throw new McpAuthConfigError(
      'logger',
      'must have a warn(message) method (pino, console, or your own)',
    );
  }
}

/** The same cause is told again after this long, ms. */
const REPEAT_AFTER_MS = 30_000;

/**
 * The cause of a 503 (an outage of the authorization server, or a key set that cannot be
 * loaded), described once: `logger.warn` hears it when it changes, and again at most every
 * 30 s while it lasts — not once per request. Returns the description for the decision event.
 */
export function createOutageReporter(
  logger: McpAuthLogger | undefined,
  now: () => number = Date.now,
): (failure: unknown) => string {
  let lastText: string | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  return (failure) => {
    const text = describeFailure(failure);
    if (logger !== undefined && (text !== lastText || now() - lastAt >= REPEAT_AFTER_MS)) {
      lastText = text;
      lastAt = now();
      try {
        logger.warn(`mcp-auth: answering 503: ${text}`);
      } catch {
        // A logger must never break a request.
      }
    }
    return text;
  };
}
