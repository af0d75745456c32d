import { Readable } from 'node:stream';

/**
 * A stream that yields `body` once: a body read for the policy, handed back to a framework's
 * own parser (Fastify's `preParsing` payload). Cheaper than `Readable.from`, which drives an
 * async iterator.
 *
 * @example
 * ```ts
 * const raw = await readRawBody(payload);
 * return replayBody(raw);
 * ```
 */
export function replayBody(body: Buffer): Readable {
  return new Readable({
    read() {
      this.push(body);
      this.push(null);
    },
  });
}
