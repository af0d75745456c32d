import { runInBackground } from './background-work.js';
import { McpAuthError } from './errors.js';

/**
 * How long a request waits for a retry after a failed load, ms: long enough for an issuer
 * that is back to answer, short enough that one that hangs does not hold every request for
 * the whole deadline (the retry itself goes on in the background until its deadline).
 */
const RETRY_WAIT_MS = 500;

/** `attempt`'s outcome, or `false` when it takes longer than `ms` (it goes on regardless). */
function settleWithin(attempt: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([attempt, late]).finally(() => clearTimeout(timer));
}

/**
 * When the key set is (re)loaded: loads are coalesced and start at most once per
 * `cooldownMs`, counted from the end of the previous attempt; each has the deadline
 * `timeoutMs`. A failure is remembered (with its error) until the next attempt.
 */
export function createLoadSchedule(
  load: (deadline: number) => Promise<void>,
  timeoutMs: number,
  cooldownMs: number,
  now: () => number,
) {
  /** When the last attempt ended (when the one in flight started, while it runs). */
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let lastFailed = false;
  let lastError: unknown;
  let inflight: Promise<boolean> | undefined;
  let inflightDeadline = Number.NEGATIVE_INFINITY;

  /** Loads now (joining a load in flight); resolves to whether it succeeded. Never rejects. */
  function reload(): Promise<boolean> {
    if (inflight) return inflight;
    lastAttempt = now();
    inflightDeadline = lastAttempt + timeoutMs;
    const attempt = load(inflightDeadline).then(
      () => {
        lastFailed = false;
        lastError = undefined;
        return true;
      },
      (error: unknown) => {
        lastFailed = true;
        lastError = error;
        return false;
      },
    );
    inflight = attempt.finally(() => {
      lastAttempt = now();
      inflight = undefined;
    });
    return inflight;
  }

  return {
    reload,
    /**
     * Waits for a load when this request may: joins one in flight (unless it retries a failed
     * one: then only the request that started it waits), or starts one once the cooldown is
     * over — waiting at most `RETRY_WAIT_MS` for a retry after a failure. `undefined` when
     * the request must not wait.
     */
    loadIfDue(): Promise<boolean> | undefined {
      if (inflight) return lastFailed ? undefined : inflight;
      if (now() - lastAttempt < cooldownMs) return undefined;
      const retry = lastFailed;
      const attempt = reload();
      if (!retry) return attempt;
      runInBackground(attempt); // it may outlive the request that waits for it
      return settleWithin(attempt, RETRY_WAIT_MS);
    },
    /** Why the last attempt failed. */
    get lastError(): unknown {
      return lastError;
    },
    /** No load in flight, and the cooldown is over. */
    get idle(): boolean {
      return !inflight && now() - lastAttempt >= cooldownMs;
    },
    /** The last attempt failed. */
    get failed(): boolean {
      return lastFailed;
    },
    /** The 503 for a request that cannot have a key: `Retry-After` = when a load may answer. */
    unavailable(): McpAuthError {
      const until = inflight ? inflightDeadline : lastAttempt + cooldownMs;
      return new McpAuthError(
        'jwks_unavailable',
        "the authorization server's signing keys are unavailable",
        { retryAfterSeconds: Math.max(1, Math.ceil((until - now()) / 1000)), cause: lastError },
      );
    },
  };
}
