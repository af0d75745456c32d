// Preloaded into a client process (`node --import <this file>`) to record its HTTP exchanges
// without touching its code: every request made through undici — Node's fetch or the undici
// package — is published on the `undici:request:*` diagnostics channels. One JSON line per
// response: method, URL, status and WWW-Authenticate (never a token or a body).
import { appendFileSync } from 'node:fs';
import diagnosticsChannel from 'node:diagnostics_channel';

const file = process.env.MATRIX_HTTP_LOG;

const headerValue = (raw, wanted) => {
  if (!Array.isArray(raw)) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === wanted) return String(raw[i + 1]);
  }
  return undefined;
};

if (file) {
  diagnosticsChannel.channel('undici:request:headers').subscribe(({ request, response }) => {
    const line = {
      at: Date.now(),
      method: request.method,
      url: `${request.origin}${request.path}`,
      status: response.statusCode,
      wwwAuthenticate: headerValue(response.headers, 'www-authenticate'),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
