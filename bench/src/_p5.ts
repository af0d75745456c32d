import { createMcpAuth } from '@org/mcp-auth-core';
import { createTestIssuer } from '@org/mcp-auth-testing';
import { hash } from 'node:crypto';
const RESOURCE = 'http://localhost/mcp';
const issuer = await createTestIssuer({
  audience: RESOURCE,
  algorithms: ['ES256'],
  scope: 'todo:read todo:write',
});
const auth = createMcpAuth({
  resource: RESOURCE,
  issuer: issuer.issuer,
  jwt: { fetch: issuer.fetch, cache: { hash: (t: string) => hash('sha256', t, 'base64') } },
  policy: { baseline: 'todo:read', tools: { add_todo: 'todo:write' } },
});
const token = await issuer.mintAccessToken({ expiresIn: 3600 });
const body = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'add_todo', arguments: { title: 'x' } },
};
const mode = process.argv[2];
const headers =
  mode === 'none'
    ? {
        host: 'x',
        'content-type': 'application/json',
        connection: 'keep-alive',
        'content-length': '99',
        'user-agent': 'autocannon',
      }
    : {
        host: 'x',
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        connection: 'keep-alive',
        'content-length': '99',
        'user-agent': 'autocannon',
      };
const req = { method: 'POST', url: '/mcp', headers, body };
await auth.authorize(req);
const t = performance.now();
let n = 0;
while (performance.now() - t < 3000) {
  for (let i = 0; i < 100; i++) await auth.authorize(req);
  n += 100;
}
console.log(mode, 'µs/op', ((1e3 * (performance.now() - t)) / n).toFixed(2));
