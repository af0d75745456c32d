/**
 * Reads a whole body stream (a Node request or any readable). Resolves `undefined` when it is
 * larger than `maxBytes` — the rest is drained, not kept, so a response can still be written —
 * and rejects when the stream errors or closes before its end (a client gone mid-body).
 *
 * @example
 * ```ts
 * const raw = await readRawBody(req, 1024 * 1024); // undefined when too large
 * ```
 */
export function readRawBody(
  stream: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
  maxBytes: number,
): Promise<Buffer | undefined> {
  if (!('on' in stream)) return readIterable(stream, maxBytes);
  // Event-based: much cheaper per request than an async iterator over the stream.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    stream.on('data', (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size <= maxBytes) chunks.push(buffer);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      ended = true;
      resolve(size > maxBytes ? undefined : Buffer.concat(chunks, size));
    });
    stream.on('close', () => {
      if (!ended) reject(new Error('request body closed before its end'));
    });
  });
}

async function readIterable(
  stream: AsyncIterable<Buffer | string>,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size <= maxBytes) chunks.push(buffer);
  }
  return size > maxBytes ? undefined : Buffer.concat(chunks);
}
