import { createRequire } from 'node:module';
import { EdgeVM } from '@edge-runtime/vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeVectors, type HarnessFactory } from '@org/mcp-auth-conformance';
import type { EdgeApp } from './edge/edge-app.js';

/** The part of esbuild's API used here; esbuild is taken from tsup, the build tool. */
interface Bundler {
  build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ text: string }> }>;
}
const require = createRequire(import.meta.url);
const esbuild = createRequire(require.resolve('tsup'))('esbuild') as Bundler;

let bundle: string;
beforeAll(async () => {
  const result = await esbuild.build({
    entryPoints: [new URL('./edge/edge-app.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser', // any node: import fails the build
    target: 'es2022',
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0]!.text;
});

function edgeHarness(): HarnessFactory {
  return async (options) => {
    const vm = new EdgeVM();
    vm.evaluate(bundle);
    // The test issuer lives in Node; its documents are handed over as data.
    const issuerFetch = options.jwt?.fetch;
    const documents: Record<string, unknown> = {};
    for (const path of [
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/jwks',
    ]) {
      const url = `${options.issuer}${path}`;
      const res = await issuerFetch!(url);
      if (res.ok) documents[url] = await res.json();
    }
    const { jwt: _jwt, ...jsonOptions } = options;
    const app = (
      vm.context as unknown as { edgeApp: (o: string, d: Record<string, unknown>) => EdgeApp }
    ).edgeApp(JSON.stringify(jsonOptions), JSON.parse(JSON.stringify(documents)));
    return {
      async send(req) {
        const res = await app.send(JSON.parse(JSON.stringify(req)));
        const headers: Record<string, string> = {};
        for (const [name, value] of res.headers) headers[name] = value;
        return { status: res.status!, headers, text: res.body ?? '' };
      },
      handlerCalls: () => app.handlerCalls(),
      close: async () => {},
    };
  };
}

describe('the bundle in @edge-runtime/vm', () => {
  it('has no Node globals to lean on', () => {
    const vm = new EdgeVM();
    expect(vm.evaluate('[typeof process, typeof require, typeof EdgeRuntime].join()')).toBe(
      'undefined,undefined,string',
    );
    vm.evaluate(bundle);
    expect(vm.evaluate('typeof edgeApp')).toBe('function');
  });
});

describeVectors('Hono 4 + core bundled in @edge-runtime/vm', edgeHarness(), 'web');
