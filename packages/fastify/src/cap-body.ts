import { Transform } from 'node:stream';

/**
 * `payload` passed through unchanged up to `maxBytes`; past it the stream fails with the error
 * Fastify's own body limit raises (`FST_ERR_CTP_BODY_TOO_LARGE`, 413), so a body sent without
 * `Content-Length` is held to the same cap as one that declares its length.
 *
 * @example
 * ```ts
 * done(null, capBody(payload, 4 * 1024 * 1024)); // in a preParsing hook
 * ```
 */
export function capBody(payload: NodeJS.ReadableStream, maxBytes: number): Transform {
  let size = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size <= maxBytes) return callback(null, chunk);
      const error = Object.assign(new Error('Request body is too large'), {
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
        statusCode: 413,
      });
      callback(error);
    },
  });
  payload.on('error', (error: Error) => capped.destroy(error));
  return payload.pipe(capped);
}
