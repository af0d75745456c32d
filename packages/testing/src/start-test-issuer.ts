import {
  type TestIssuer,
  type TestIssuerOptions,
  type TestIssuerServer,
  createTestIssuer,
} from './create-test-issuer.js';
import { listenTestIssuer } from './listen-test-issuer.js';

/** Options for {@link startTestIssuer}. */
export interface StartTestIssuerOptions extends Omit<TestIssuerOptions, 'issuer'> {
  /** Path of the issuer under the listener's origin, e.g. `/tenant-a`. Default none. */
  issuerPath?: string;
}

/** A test issuer served over HTTP; its `issuer` is the listener's URL. */
export interface RunningTestIssuer extends TestIssuer {
  /** Base URL of the listener, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops the listener. */
  close(): Promise<void>;
}

/**
 * Starts a test issuer on 127.0.0.1 (free port) whose issuer identifier, metadata and JWKS
 * URLs all point at the listener — for end-to-end tests that use real HTTP.
 *
 * @example
 * ```ts
 * const issuer = await startTestIssuer({ audience: 'http://127.0.0.1:3000/mcp' });
 * // createJwtVerifier({ issuer: issuer.issuer, resource: 'http://127.0.0.1:3000/mcp' })
 * await issuer.close();
 * ```
 */
export async function startTestIssuer(
  options: StartTestIssuerOptions = {},
): Promise<RunningTestIssuer> {
  let target: TestIssuer | undefined;
  const server: TestIssuerServer = await listenTestIssuer(async (request) => {
    if (!target) return new Response(null, { status: 503 });
    return target.handler(request);
  });
  const { issuerPath = '', ...rest } = options;
  try {
    target = await createTestIssuer({ ...rest, issuer: `${server.url}${issuerPath}` });
  } catch (error) {
    await server.close();
    throw error;
  }
  const running = Object.create(target, {
    url: { value: server.url, enumerable: true },
    close: { value: server.close, enumerable: true },
  }) as RunningTestIssuer;
  return running;
}
