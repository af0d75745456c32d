import type { Check, CheckStatus } from './types.js';

/** A response read in full (up to {@link MAX_BODY_BYTES}). */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** The outcome of one request: an answer, or why there was none. */
export type HttpResult = { ok: true; answer: HttpAnswer } | { ok: false; error: string };

const MAX_BODY_BYTES = 1024 * 1024;

/** State shared by the check groups of one run. */
export interface CheckContext {
  readonly url: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly origin: string;
  readonly token: string | undefined;
  readonly stepUpTool: string | undefined;
  readonly checks: Check[];
}

/** Shortens a token to its first 8 characters and an ellipsis. */
export function redactToken(token: string): string {
  // A short token would be mostly shown by its first 8 characters: none of it then.
  return token.length < 24 ? '(the token)' : `${token.slice(0, 8)}…`;
}

/** `text` with every occurrence of `token` redacted (nothing to do without a token). */
function withoutToken(text: string, token: string | undefined): string {
  return token ? text.split(token).join(redactToken(token)) : text;
}

/** Records one check; the token never reaches a `saw` text. */
export function record(
  context: CheckContext,
  id: string,
  title: string,
  status: CheckStatus,
  saw: string,
  why: string,
  fix?: string,
): Check {
  const check: Check = { id, title, status, saw: withoutToken(saw, context.token), why };
  if (fix !== undefined && status !== 'pass') check.fix = fix;
  context.checks.push(check);
  return check;
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      return `no answer within ${timeoutMs} ms`;
    }
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'ENOTFOUND') return 'host not found';
    if (code) return `request failed (${code})`;
    const detail = typeof cause?.message === 'string' ? cause.message : error.message;
    return `request failed (${detail})`;
  }
  return 'request failed';
}

async function readBody(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new RangeError(`body larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * One request with the run's deadline (covering the body too), redirects not followed (a
 * 3xx is reported as such), the body capped at 1 MiB.
 */
export async function send(
  context: CheckContext,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  try {
    const response = await context.fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body !== undefined ? { body: init.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(context.timeoutMs),
    });
    // A server that echoes the token: redacted before any excerpt can cut it in two.
    const text = withoutToken(await readBody(response), context.token);
    let headers = response.headers;
    if (context.token) {
      headers = new Headers();
      for (const [name, value] of response.headers) {
        headers.append(name, withoutToken(value, context.token));
      }
    }
    return { ok: true, answer: { status: response.status, headers, text } };
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, error: error.message };
    return { ok: false, error: describeError(error, context.timeoutMs) };
  }
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching controls is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A server's text for a `saw` line: one line, at most 160 characters, control characters
 * replaced by U+FFFD so a hostile server cannot move the cursor or forge report lines.
 */
export function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').replace(CONTROLS, '\ufffd').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line || '(empty body)';
}

/** Parses a JSON object body; `undefined` when the body is not one. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Is `url` absolute https, or http on a loopback host? */
export function isSecureOrLoopback(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** `new URL(text)`, or `undefined` when `text` is not an absolute URL. */
export function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Strings of a JSON array; `undefined` when `value` is not an array of strings. */
export function stringArray(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return undefined;
  return value as string[];
}
