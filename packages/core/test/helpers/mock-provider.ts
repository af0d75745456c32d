import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';

/** A provider's endpoints served in-process: its JWKS at its own path plus any documents. */
export interface MockProvider {
  /** Keys and token minting (tokens carry `iss` = the provider's issuer). */
  readonly issuer: TestIssuer;
  /** Serves `jwksUri` and `documents`; anything else fails like an unreachable host. */
  readonly fetch: typeof fetch;
  /** Every URL requested, in order. */
  readonly requests: string[];
}

/**
 * Mocks an identity provider's endpoints. No request ever leaves the process: the returned
 * `fetch` answers from memory and rejects every URL it does not serve.
 */
export async function mockProvider(options: {
  issuer: string;
  jwksUri: string;
  documents?: Record<string, unknown>;
}): Promise<MockProvider> {
  const issuer = await createTestIssuer({ issuer: options.issuer, algorithms: ['RS256'] });
  const requests: string[] = [];
  const documents = new Map<string, () => unknown>([[options.jwksUri, () => issuer.jwks()]]);
  for (const [url, doc] of Object.entries(options.documents ?? {})) documents.set(url, () => doc);
  const mockFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request.url);
    const document = documents.get(request.url);
    if (document === undefined) throw new TypeError('fetch failed: host not reachable in tests');
    return new Response(JSON.stringify(document()), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  return { issuer, fetch: mockFetch, requests };
}
