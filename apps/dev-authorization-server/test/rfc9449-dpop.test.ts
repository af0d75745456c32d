import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DevAuthorizationServer,
  driveAuthorization,
  readEnvOptions,
  startDevAuthorizationServer,
} from '../src/index.js';
import {
  authorizationUrl,
  decode,
  pkcePair,
  REDIRECT_URI,
  RESOURCE,
  registerPublicClient,
  tokenRequest,
} from './helpers.js';

// DPoP (RFC 9449) is opt-in: off by default (the sample servers refuse DPoP-bound tokens
// presented as Bearer tokens), on with `dpop: true` / DEV_AS_DPOP=1.

interface ProofKey {
  privateKey: CryptoKey;
  jwk: JWK;
  thumbprint: string;
}

async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, thumbprint: await calculateJwkThumbprint(jwk) };
}

/** A DPoP proof JWT for a POST to `url`. */
function proof(key: ProofKey, url: string): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: url, jti: randomUUID() })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

async function registerMachineClient(issuer: string) {
  const response = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { client_id: string; client_secret: string };
}

async function metadataOf(server: DevAuthorizationServer) {
  const response = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`);
  return (await response.json()) as Record<string, unknown>;
}

async function clientCredentialsWithProof(server: DevAuthorizationServer, key: ProofKey) {
  const client = await registerMachineClient(server.issuer);
  return tokenRequest(
    server.issuer,
    {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scope: 'todo:read',
      resource: RESOURCE,
    },
    { dpop: await proof(key, `${server.issuer}/token`) },
  );
}

async function authorizationCodeWithProof(server: DevAuthorizationServer, key: ProofKey) {
  const client = await registerPublicClient(server.issuer);
  const { verifier, challenge } = pkcePair();
  const { code } = await driveAuthorization(
    authorizationUrl(server.issuer, client.client_id, 'todo:read', challenge),
  );
  return tokenRequest(
    server.issuer,
    {
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: REDIRECT_URI,
      client_id: client.client_id,
      code_verifier: verifier,
      resource: RESOURCE,
    },
    { dpop: await proof(key, `${server.issuer}/token`) },
  );
}

describe('DPoP off (the default)', () => {
  let server: DevAuthorizationServer;
  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, autoApprove: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it('advertises no DPoP signing algorithms', async () => {
    const metadata = await metadataOf(server);
    expect(metadata).not.toHaveProperty('dpop_signing_alg_values_supported');
    const oidc = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json();
    expect(oidc).not.toHaveProperty('dpop_signing_alg_values_supported');
  });

  it('ignores a DPoP proof on the token request: a plain Bearer token without cnf', async () => {
    const key = await proofKey();
    for (const { status, body } of [
      await clientCredentialsWithProof(server, key),
      await authorizationCodeWithProof(server, key),
    ]) {
      expect(status).toBe(200);
      expect(body.token_type).toBe('Bearer');
      const { payload } = decode(body.access_token);
      expect(payload.aud).toBe(RESOURCE);
      expect(payload).not.toHaveProperty('cnf');
    }
  });
});

describe('DPoP on (dpop: true)', () => {
  let server: DevAuthorizationServer;
  beforeAll(async () => {
    server = await startDevAuthorizationServer({ port: 0, autoApprove: true, dpop: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it('advertises its DPoP signing algorithms', async () => {
    const metadata = await metadataOf(server);
    expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
  });

  it('binds the tokens to the proof key: token_type DPoP, cnf.jkt = the key thumbprint', async () => {
    const key = await proofKey();
    for (const { status, body } of [
      await clientCredentialsWithProof(server, key),
      await authorizationCodeWithProof(server, key),
    ]) {
      expect(status).toBe(200);
      expect(body.token_type).toBe('DPoP');
      const { header, payload } = decode(body.access_token);
      expect(header.typ).toBe('at+jwt');
      expect(payload.aud).toBe(RESOURCE);
      expect(payload.cnf).toEqual({ jkt: key.thumbprint });
    }
  });

  it('still issues Bearer tokens to requests without a proof', async () => {
    const client = await registerMachineClient(server.issuer);
    const { status, body } = await tokenRequest(server.issuer, {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scope: 'todo:read',
      resource: RESOURCE,
    });
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(decode(body.access_token).payload).not.toHaveProperty('cnf');
  });

  it('refuses a malformed proof', async () => {
    const client = await registerMachineClient(server.issuer);
    const { status, body } = await tokenRequest(
      server.issuer,
      {
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        resource: RESOURCE,
      },
      { dpop: 'not-a-jwt' },
    );
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_dpop_proof');
  });
});

describe('DEV_AS_DPOP', () => {
  it('turns DPoP on with 1 and off with 0, and explains other values', () => {
    expect(readEnvOptions({}).dpop).toBeUndefined();
    expect(readEnvOptions({ DEV_AS_DPOP: '1' }).dpop).toBe(true);
    expect(readEnvOptions({ DEV_AS_DPOP: 'true' }).dpop).toBe(true);
    expect(readEnvOptions({ DEV_AS_DPOP: '0' }).dpop).toBe(false);
    expect(() => readEnvOptions({ DEV_AS_DPOP: 'maybe' })).toThrow(/DEV_AS_DPOP/);
  });

  it('rejects a non-boolean dpop option with a TypeError naming it', async () => {
    await expect(
      startDevAuthorizationServer({ port: 0, dpop: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/"dpop"/);
  });
});
