import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevAuthorizationServer,
  driveAuthorization,
  startDevAuthorizationServer,
} from '../src/index.js';
import { decode, tokenRequest } from './helpers.js';

// The README's curl recipes, replayed with fetch: the registration bodies, the authorization
// URL and the token request fields are read from the README itself, so the two cannot drift.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('## A token with curl'),
  readme.indexOf('## Key rotation'),
);

/** The JSON after `-d '` on the README line that contains `marker`. */
function registrationBody(marker: string): Record<string, unknown> {
  const line = section.split('\n').find((l) => l.includes(marker) && l.includes("-d '{"));
  const json = line && /-d '(\{.*\})'/.exec(line)?.[1];
  if (!json) throw new Error(`no registration body with ${marker} in the README`);
  return JSON.parse(json) as Record<string, unknown>;
}

/** `-d name=value` pairs of the README's curl command that starts with `start`. */
function formFields(start: string, vars: Record<string, string>): Record<string, string> {
  const from = section.indexOf(start);
  const rest = section.slice(from);
  // The command ends at the comment line that shows its answer.
  const command = rest.slice(0, rest.search(/\n\s*#/)).replaceAll('\\\n', ' ');
  const fields: Record<string, string> = {};
  for (const match of command.matchAll(/(?:-d|--data-urlencode) "?([a-z_]+)=([^"\s]*)"?/g)) {
    fields[match[1] as string] = (match[2] as string).replace(
      /\$([A-Z_]+)/g,
      (_, name: string) => vars[name] ?? '',
    );
  }
  return fields;
}

describe('README: a token with curl', () => {
  let server: DevAuthorizationServer;
  let vars: Record<string, string>;

  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, autoApprove: true });
    vars = {
      AS: server.issuer,
      RESOURCE: /RESOURCE=(\S+)/.exec(section)?.[1] ?? '',
      REDIRECT: /REDIRECT=(\S+)/.exec(section)?.[1] ?? '',
    };
  });
  afterAll(async () => {
    await server.close();
  });

  it('client credentials: register, then a token for the resource', async () => {
    const registered = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody('"client_credentials"')),
    });
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as { client_id: string; client_secret: string };
    const fields = formFields('curl -s "$AS/token" -d grant_type=client_credentials', {
      ...vars,
      CLIENT_ID: client.client_id,
      CLIENT_SECRET: client.client_secret,
    });
    expect(Object.keys(fields).sort()).toEqual(
      ['client_id', 'client_secret', 'grant_type', 'resource', 'scope'].sort(),
    );
    const { status, body } = await tokenRequest(server.issuer, fields);
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    const { payload } = decode(body.access_token);
    expect(payload.aud).toBe(vars.RESOURCE);
    expect(payload.sub).toBe(client.client_id);
    expect(payload.scope).toBe('todo:read');
  });

  it("a user's token: register, PKCE S256, authorize, exchange the code", async () => {
    const registered = await fetch(`${server.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registrationBody('"token_endpoint_auth_method":"none"')),
    });
    expect(registered.status).toBe(201);
    const { client_id } = (await registered.json()) as { client_id: string };
    // What the openssl line computes: 64 base64url characters and their SHA-256, base64url.
    const verifier = randomBytes(48).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const all: Record<string, string> = {
      ...vars,
      CLIENT_ID: client_id,
      VERIFIER: verifier,
      CHALLENGE: challenge,
    };
    const template = /AUTH_URL="([^"]+)"/.exec(section)?.[1] ?? '';
    const url = template.replace(/\$([A-Z_]+)/g, (_, name: string) => all[name] ?? '');
    expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');

    const { code, state } = await driveAuthorization(url);
    expect(state).toBe('xyz');
    const fields = formFields('curl -s "$AS/token" -d grant_type=authorization_code', {
      ...all,
      CODE: code ?? '',
    });
    const { status, body } = await tokenRequest(server.issuer, fields);
    expect(status).toBe(200);
    expect(body.refresh_token).toBeUndefined();
    const { payload } = decode(body.access_token);
    expect(payload.aud).toBe(vars.RESOURCE);
    expect(payload.sub).toBe('alice');
    expect(payload.scope).toBe('todo:read');
  });
});
