/** Outcome of one check: `warn` does not fail a run, `skip` means it could not run. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One finding of {@link checkResourceServer}. */
export interface Check {
  /** Stable identifier, e.g. `challenge.resource-metadata`, `as.issuer`. */
  id: string;
  /** One line saying what was checked. */
  title: string;
  status: CheckStatus;
  /** What the server answered (never a token). */
  saw: string;
  /** Why it matters, with the RFC or MCP specification section. */
  why: string;
  /** What to change, for warnings and failures. */
  fix?: string;
}

/** Options for {@link checkResourceServer}. */
export interface CheckResourceServerOptions {
  /** The MCP endpoint exactly as a client is given it, e.g. `https://mcp.example.com/mcp`. */
  url: string;
  /**
   * An access token for the server. A JWT is decoded (not trusted) and its claims checked;
   * then authorized `initialize` and `tools/list` requests are made. Never printed.
   */
  token?: string;
  /** A tool to call (with empty arguments) that the token has no scope for, to check the 403. */
  stepUpTool?: string;
  /** The `fetch` to use. Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Deadline for each request, in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** The browser origin of the CORS checks. Default `http://localhost:6274` (MCP Inspector). */
  origin?: string;
}

/** Counts of {@link Check} statuses. */
export interface CheckResourceServerSummary {
  passed: number;
  warnings: number;
  failed: number;
  skipped: number;
}

/** What {@link checkResourceServer} returns. */
export interface CheckResourceServerResult {
  url: string;
  checks: Check[];
  summary: CheckResourceServerSummary;
}
