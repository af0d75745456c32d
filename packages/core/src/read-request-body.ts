/**
 * Options of {@link readBodyText}.
 *
 * @example
 * ```ts
 * const options: ReadBodyTextOptions = { maxBodyBytes: 4 * 1024 * 1024 };
 * ```
 */
export interface ReadBodyTextOptions {
  /** Largest body read, in bytes (a positive integer). */
  maxBodyBytes: number;
}

/**
 * What {@link readBodyText} resolves: the body text (`''` when there is none), or
 * `too_large` when it is longer than `maxBodyBytes`.
 *
 * @example
 * ```ts
 * const read: ReadBodyTextResult = await readBodyText(request, { maxBodyBytes: 1024 });
 * ```
 */
export type ReadBodyTextResult = { ok: true; text: string } | { ok: false; reason: 'too_large' };

async function readCounting(body: ReadableStream<Uint8Array>, maxBodyBytes: number) {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBodyBytes) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Reads a Web-standard `Request` body as UTF-8 text, at most `maxBodyBytes`, on any runtime (Node,
 * Deno, Bun, Workers). A body framed by `Content-Length` (no `Transfer-Encoding`) larger than
 * the cap is refused before a byte is read; otherwise it is read with `request.text()`. A body
 * without `Content-Length` is counted while it streams and the stream cancelled as soon as it
 * passes the cap. Consumes the body; rejects when the stream fails (a client gone mid-body).
 * Rejects with a `TypeError` when `maxBodyBytes` is not a positive integer.
 *
 * @example
 * ```ts
 * const read = await readBodyText(request, { maxBodyBytes: 4 * 1024 * 1024 });
 * if (!read.ok) return new Response('Request body too large', { status: 413 });
 * const body = JSON.parse(read.text);
 * ```
 */
export async function readBodyText(
  request: Request,
  options: ReadBodyTextOptions,
): Promise<ReadBodyTextResult> {
  const maxBodyBytes = options?.maxBodyBytes;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new TypeError('readBodyText: option "maxBodyBytes" must be a positive integer (bytes)');
  }
  const declared = request.headers.get('content-length') ?? '';
  const framed = /^\d+$/.test(declared) && !request.headers.has('transfer-encoding');
  if (framed && Number(declared) > maxBodyBytes) return { ok: false, reason: 'too_large' };
  if (request.body === null) return { ok: true, text: '' };
  const text = framed ? await request.text() : await readCounting(request.body, maxBodyBytes);
  return text === undefined ? { ok: false, reason: 'too_large' } : { ok: true, text };
}
