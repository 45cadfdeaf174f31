import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig } from '../../src/server/config.js';
import { loadClientConfig } from '../../src/client/config.js';

const base = { ID_ISSUER: 'https://kubernetes.default.svc.cluster.local', JWT_AUDIENCE: 'grpc.example.internal' };

describe('server configuration', () => {
  it('reads the seed environment names with defaults', () => {
    expect(loadServerConfig([], base)).toEqual({
      issuer: base.ID_ISSUER,
      audience: base.JWT_AUDIENCE,
      jwksUri: undefined,
      jwksFile: undefined,
      host: '0.0.0.0',
      port: 50051,
      tlsCert: undefined,
      tlsKey: undefined,
      allowHttpIssuer: false,
      authorizedSubjects: [],
      issuerCaFile: undefined,
      issuerTokenFile: undefined,
      clockSkewSeconds: 30,
      maxTokenLifetimeSeconds: 86_400,
      keysMaxStaleSeconds: 86_400,
      endStreamsOnExpiry: true,
      shutdownGraceSeconds: 10,
      maxConcurrentStreams: 100,
      maxReceiveMessageBytes: 65_536,
    });
  });

  it('lets flags win over the environment', () => {
    const config = loadServerConfig(['--audience', 'flag-aud', '--port', '6000', '--authorized-subjects', 'system:serviceaccount:a:b, system:serviceaccount:c:*'], base);
    expect(config).toMatchObject({ audience: 'flag-aud', port: 6000, authorizedSubjects: ['system:serviceaccount:a:b', 'system:serviceaccount:c:*'] });
  });

  it.each([
    [{}, /ID_ISSUER is not set/],
    [{ ID_ISSUER: base.ID_ISSUER }, /JWT_AUDIENCE is not set/],
    [{ ...base, ID_ISSUER: 'http://issuer.local' }, /must be an https:\/\/ URL \(set ALLOW_HTTP_ISSUER=true/],
    [{ ...base, ID_ISSUER: 'not a url' }, /is not a URL/],
    [{ ...base, JWKS_URI: 'https://x/jwks', JWKS_FILE: '/jwks.json' }, /both set/],
    [{ ...base, TLS_CERT: '/cert.pem' }, /TLS_CERT and TLS_KEY go together/],
    [{ ...base, PORT: 'eighty' }, /PORT "eighty" is not a port number/],
    [{ ...base, ALLOW_HTTP_ISSUER: 'maybe' }, /ALLOW_HTTP_ISSUER "maybe" is not true or false/],
    [{ ...base, MAX_TOKEN_LIFETIME_SECONDS: '60' }, /MAX_TOKEN_LIFETIME_SECONDS "60" is not a whole number from 600 to 31536000/],
    [{ ...base, SHUTDOWN_GRACE_SECONDS: '-1' }, /SHUTDOWN_GRACE_SECONDS/],
  ])('stops with one line naming what to set (%#)', (env, message) => {
    expect(() => loadServerConfig([], env)).toThrow(ConfigError);
    expect(() => loadServerConfig([], env)).toThrow(message);
  });

  it('rejects unknown flags', () => {
    expect(() => loadServerConfig(['--isuer', 'x'], base)).toThrow(/Unknown option '--isuer'.*see --help/);
  });

  it('allows an http issuer for local development and with a static JWKS file', () => {
    expect(loadServerConfig([], { ...base, ID_ISSUER: 'http://127.0.0.1:8089', ALLOW_HTTP_ISSUER: 'true' }).allowHttpIssuer).toBe(true);
    const jwks = fileURLToPath(import.meta.url); // any existing file: only its existence is checked here
    expect(loadServerConfig([], { ...base, ID_ISSUER: 'http://issuer', JWKS_FILE: jwks }).jwksFile).toBe(jwks);
    expect(() => loadServerConfig([], { ...base, JWKS_FILE: '/nonexistent/jwks.json' })).toThrow(/JWKS_FILE \/nonexistent\/jwks.json does not exist/);
  });
});

describe('client configuration', () => {
  it('defaults to the seed token path and TLS', () => {
    expect(loadClientConfig([], { SERVICE_ENDPOINT: 'hello:50051' })).toMatchObject({ endpoint: 'hello:50051', tokenFile: '/var/run/secrets/tokens/gke-sa', plaintext: false, intervalMs: 10_000 });
  });

  it('names what is wrong', () => {
    expect(() => loadClientConfig([], {})).toThrow(/SERVICE_ENDPOINT is not set/);
    expect(() => loadClientConfig([], { SERVICE_ENDPOINT: 'x:1', PLAINTEXT: 'yes please' })).toThrow(/PLAINTEXT/);
    expect(() => loadClientConfig([], { SERVICE_ENDPOINT: 'x:1', INTERVAL_MS: '-5' })).toThrow(/INTERVAL_MS/);
  });
});

describe('in-cluster issuer defaults', () => {
  it('use the pod\'s own CA and token for the cluster\'s own issuer', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'wid-sa-'));
    await writeFile(join(dir, 'ca.crt'), 'ca');
    await writeFile(join(dir, 'token'), 'token');
    const inPod = { ...base, KUBERNETES_SERVICE_HOST: '10.0.0.1' };
    expect(loadServerConfig([], inPod, dir)).toMatchObject({ issuerCaFile: join(dir, 'ca.crt'), issuerTokenFile: join(dir, 'token') });
    // Not for another issuer, and not outside a pod.
    expect(loadServerConfig([], { ...inPod, ID_ISSUER: 'https://container.googleapis.com/v1/projects/p/locations/l/clusters/c' }, dir)).toMatchObject({ issuerCaFile: undefined, issuerTokenFile: undefined });
    expect(loadServerConfig([], base, dir)).toMatchObject({ issuerCaFile: undefined, issuerTokenFile: undefined });
    // Explicit settings win, and must exist.
    expect(() => loadServerConfig([], { ...inPod, ISSUER_CA_FILE: join(dir, 'nope.crt') }, dir)).toThrow(/ISSUER_CA_FILE .*nope.crt does not exist/);
  });
});
