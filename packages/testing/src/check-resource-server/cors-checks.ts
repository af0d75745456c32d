import { defaultPrmUrl } from './challenge-checks.js';
import { type CheckContext, record, send } from './http.js';
import { initializeRequest, postHeaders } from './mcp-messages.js';

const WHY_PREFLIGHT =
  'Fetch standard (CORS preflight) and MCP 2025-11-25 Transports: a browser-based client (MCP Inspector, web hosts) sends an OPTIONS preflight before a POST with Authorization and MCP-Protocol-Version; without an allowing answer the browser never sends the request.';
const WHY_EXPOSE =
  'RFC 6750 §3 with the Fetch standard: a browser hides every response header a CORS response does not list in Access-Control-Expose-Headers; without WWW-Authenticate a browser client never sees resource_metadata and cannot start authorization.';
const WHY_METADATA =
  'RFC 9728 §3 and the Fetch standard: browser-based clients fetch the Protected Resource Metadata cross-origin; it must carry Access-Control-Allow-Origin.';

const REQUESTED_HEADERS = ['authorization', 'content-type', 'mcp-protocol-version'];

function listHas(header: string | null, name: string): boolean {
  return (header ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .includes(name.toLowerCase());
}

function originAllowed(allowOrigin: string | null, origin: string): boolean {
  return allowOrigin === '*' || allowOrigin === origin;
}

/** CORS for browser clients: preflight, the 401's exposed challenge, the metadata. */
export async function checkCors(context: CheckContext): Promise<void> {
  const { origin } = context;
  const refusedFix = `If browser clients at ${origin} should connect, allow that origin; if the refusal is on purpose (an origin allow-list), nothing to do — or pass --origin with an origin you allow.`;

  const preflight = await send(context, context.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': REQUESTED_HEADERS.join(', '),
    },
  });
  if (!preflight.ok) {
    record(
      context,
      'cors.preflight',
      'CORS preflight for the MCP endpoint',
      'fail',
      `OPTIONS ${context.url} (Origin: ${origin}): ${preflight.error}`,
      WHY_PREFLIGHT,
      'Answer OPTIONS without authentication.',
    );
  } else {
    const { status, headers } = preflight.answer;
    const allowOrigin = headers.get('access-control-allow-origin');
    const allowHeaders = headers.get('access-control-allow-headers');
    const allowMethods = headers.get('access-control-allow-methods');
    const base = `OPTIONS ${context.url} (Origin: ${origin}) answered ${status}, Access-Control-Allow-Origin: ${allowOrigin ?? '(none)'}`;
    if (status === 401) {
      record(
        context,
        'cors.preflight',
        'CORS preflight for the MCP endpoint',
        'fail',
        `${base} — the preflight was asked for a token`,
        WHY_PREFLIGHT,
        'Answer OPTIONS before authentication: a browser never sends credentials on a preflight.',
      );
    } else if (!allowOrigin || status === 403 || !originAllowed(allowOrigin, origin)) {
      record(
        context,
        'cors.preflight',
        'CORS preflight for the MCP endpoint',
        'warn',
        `${base} — the server does not allow this origin (refused on purpose?)`,
        WHY_PREFLIGHT,
        refusedFix,
      );
    } else {
      const problems: string[] = [];
      if (status < 200 || status >= 300) problems.push(`status ${status} is not 2xx`);
      if (allowMethods && allowMethods.trim() !== '*' && !listHas(allowMethods, 'POST')) {
        problems.push(`Access-Control-Allow-Methods "${allowMethods}" lacks POST`);
      }
      const missingHeaders = REQUESTED_HEADERS.filter((name) => {
        if (listHas(allowHeaders, name)) return false;
        // The wildcard covers every header but Authorization (Fetch standard).
        return !(allowHeaders?.trim() === '*' && name !== 'authorization');
      });
      if (missingHeaders.length) {
        problems.push(
          `Access-Control-Allow-Headers "${allowHeaders ?? ''}" does not allow ${missingHeaders.join(', ')}${allowHeaders?.trim() === '*' && missingHeaders.includes('authorization') ? ' (the wildcard never covers Authorization)' : ''}`,
        );
      }
      record(
        context,
        'cors.preflight',
        'CORS preflight for the MCP endpoint',
        problems.length ? 'fail' : 'pass',
        `${base}, Allow-Headers: ${allowHeaders ?? '(none)'}${problems.length ? ` — ${problems.join('; ')}` : ''}`,
        WHY_PREFLIGHT,
        'Answer the preflight with 204, Access-Control-Allow-Methods: GET, POST, DELETE and Access-Control-Allow-Headers: Authorization, Content-Type, Mcp-Session-Id, MCP-Protocol-Version (list Authorization by name).',
      );
    }
  }

  const challenge = await send(context, context.url, {
    method: 'POST',
    headers: postHeaders({ origin }),
    body: initializeRequest(),
  });
  if (!challenge.ok) {
    record(
      context,
      'cors.expose-www-authenticate',
      'the 401 exposes WWW-Authenticate to browsers',
      'fail',
      `POST ${context.url} (Origin: ${origin}): ${challenge.error}`,
      WHY_EXPOSE,
    );
  } else {
    const { status, headers } = challenge.answer;
    const allowOrigin = headers.get('access-control-allow-origin');
    const expose = headers.get('access-control-expose-headers');
    const base = `POST ${context.url} without a token (Origin: ${origin}) answered ${status}, Access-Control-Allow-Origin: ${allowOrigin ?? '(none)'}, Access-Control-Expose-Headers: ${expose ?? '(none)'}`;
    if (status === 403 || !allowOrigin || !originAllowed(allowOrigin, origin)) {
      record(
        context,
        'cors.expose-www-authenticate',
        'the 401 exposes WWW-Authenticate to browsers',
        'warn',
        `${base} — the server refuses this origin${status === 403 ? ' (403: origin validation)' : ''}, on purpose or not`,
        WHY_EXPOSE,
        refusedFix,
      );
    } else if (status !== 401) {
      record(
        context,
        'cors.expose-www-authenticate',
        'the 401 exposes WWW-Authenticate to browsers',
        'fail',
        `${base} — expected 401`,
        WHY_EXPOSE,
        'Answer a request without a token with 401 whether or not it carries an Origin.',
      );
    } else {
      const exposed = listHas(expose, 'www-authenticate') || expose?.trim() === '*';
      record(
        context,
        'cors.expose-www-authenticate',
        'the 401 exposes WWW-Authenticate to browsers',
        exposed ? 'pass' : 'fail',
        base,
        WHY_EXPOSE,
        'Add Access-Control-Expose-Headers: WWW-Authenticate, Mcp-Session-Id to every response to a request with an Origin, 401 and 403 included.',
      );
    }
  }

  const metadataUrl = defaultPrmUrl(context.url);
  const metadata = await send(context, metadataUrl, { headers: { origin } });
  if (!metadata.ok || metadata.answer.status !== 200) {
    record(
      context,
      'cors.metadata',
      'the metadata is readable cross-origin',
      'skip',
      `GET ${metadataUrl}: ${metadata.ok ? `answered ${metadata.answer.status}` : metadata.error}`,
      WHY_METADATA,
    );
    return;
  }
  const allowOrigin = metadata.answer.headers.get('access-control-allow-origin');
  record(
    context,
    'cors.metadata',
    'the metadata is readable cross-origin',
    originAllowed(allowOrigin, origin) ? 'pass' : 'warn',
    `GET ${metadataUrl} (Origin: ${origin}): Access-Control-Allow-Origin: ${allowOrigin ?? '(none)'}`,
    WHY_METADATA,
    'Serve the metadata with Access-Control-Allow-Origin: * (it is public).',
  );
}
