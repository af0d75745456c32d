import { describe, expect, it } from 'vitest';
import { readBodyText } from '../src/read-request-body.js';

const URL_ = 'http://127.0.0.1/mcp';
const encoder = new TextEncoder();

/** A body without Content-Length, streamed in chunks; records whether it was cancelled. */
function streamed(parts: string[]) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[state.pulled++];
      if (part === undefined) controller.close();
      else controller.enqueue(encoder.encode(part));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { body, state };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

describe('readBodyText', () => {
  it('reads a body with Content-Length up to the cap, as UTF-8 text', async () => {
    const text = '{"jsonrpc":"2.0","method":"ping","params":{"é":1}}';
    const request = post(text, { 'content-length': String(encoder.encode(text).byteLength) });
    expect(await readBodyText(request, { maxBodyBytes: 1024 })).toEqual({ ok: true, text });
    expect(request.bodyUsed).toBe(true);
  });

  it('refuses a declared Content-Length over the cap without reading the body', async () => {
    const request = post('x'.repeat(20), { 'content-length': '20' });
    expect(await readBodyText(request, { maxBodyBytes: 10 })).toEqual({
      ok: false,
      reason: 'too_large',
    });
    expect(request.bodyUsed).toBe(false);
  });

  it('counts a streamed body and cancels it as soon as it passes the cap', async () => {
    const { body, state } = streamed(['12345', '67890', 'abcde', 'fghij']);
    expect(await readBodyText(post(body), { maxBodyBytes: 8 })).toEqual({
      ok: false,
      reason: 'too_large',
    });
    expect(state.pulled).toBeLessThan(4);
    expect(state.cancelled).toBe(true);
  });

  it('reads a streamed body at exactly the cap, joining multi-byte characters split across chunks', async () => {
    const bytes = encoder.encode('aé€b'); // 1 + 2 + 3 + 1 = 7 bytes
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(Uint8Array.of(byte));
        controller.close();
      },
    });
    expect(await readBodyText(post(body), { maxBodyBytes: 7 })).toEqual({ ok: true, text: 'aé€b' });
  });

  it('answers an empty text for a request without a body', async () => {
    expect(await readBodyText(new Request(URL_), { maxBodyBytes: 1 })).toEqual({
      ok: true,
      text: '',
    });
  });

  it('rejects when the stream fails', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'));
      },
    });
    await expect(readBodyText(post(body), { maxBodyBytes: 100 })).rejects.toThrow(
      'connection reset',
    );
  });

  it('rejects with a TypeError naming maxBodyBytes when it is not a positive integer', async () => {
    for (const maxBodyBytes of [0, -1, 1.5, Number.NaN, '10' as unknown as number]) {
      await expect(readBodyText(post('x'), { maxBodyBytes })).rejects.toThrow(
        new TypeError('readBodyText: option "maxBodyBytes" must be a positive integer (bytes)'),
      );
    }
  });
});
