import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig } from '../../src/server/config.js';
import { loadClientConfig } from '../../src/client/config.js';

const base = { ID_ISSUER: 'https://kubernetes.default.svc.cluster.local', JWT_AUDIENCE: 'grpc.example.internal' };

describe('server configuration', () => {
  it('reads the seed environment names with defaults', () => {
    expect(loadServerConfig([], base)).toEqual({
      issuers: [{ issuer: base.ID_ISSUER, audience: base.JWT_AUDIENCE, jwksUri: undefined, jwksFile: undefined, caFile: undefined, tokenFile: undefined, allowHttp: false }],
      host: '0.0.0.0',
      port: 50051,
      tlsCert: undefined,
      tlsKey: undefined,
      authorizedSubjects: [],
      clockSkewSeconds: 30,
      maxTokenLifetimeSeconds: 86_400,
      tokenCacheSize: 10_000,
      keysMaxStaleSeconds: 86_400,
      endStreamsOnExpiry: true,
      shutdownGraceSeconds: 10,
      maxConcurrentStreams: 100,
      maxReceiveMessageBytes: 65_536,
    });
  });

  it('lets flags win over the environment', () => {
    const config = loadServerConfig(['--audience', 'flag-aud', '--port', '6000', '--authorized-subjects', 'system:serviceaccount:a:b, system:serviceaccount:c:*'], base);
    expect(config.issuers[0]?.audience).toBe('flag-aud');
    expect(config).toMatchObject({ port: 6000, authorizedSubjects: ['system:serviceaccount:a:b', 'system:serviceaccount:c:*'] });
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
    [{ ...base, TOKEN_CACHE_SIZE: '-1' }, /TOKEN_CACHE_SIZE "-1" is not a whole number from 0 to 1000000/],
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
    expect(loadServerConfig([], { ...base, ID_ISSUER: 'http://127.0.0.1:8089', ALLOW_HTTP_ISSUER: 'true' }).issuers[0]?.allowHttp).toBe(true);
    const jwks = fileURLToPath(import.meta.url); // any existing file: only its existence is checked here
    expect(loadServerConfig([], { ...base, ID_ISSUER: 'http://issuer', JWKS_FILE: jwks }).issuers[0]?.jwksFile).toBe(jwks);
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
    expect(loadServerConfig([], inPod, dir).issuers[0]).toMatchObject({ caFile: join(dir, 'ca.crt'), tokenFile: join(dir, 'token') });
    // Not for another issuer, and not outside a pod.
    expect(loadServerConfig([], { ...inPod, ID_ISSUER: 'https://container.googleapis.com/v1/projects/p/locations/l/clusters/c' }, dir).issuers[0]).toMatchObject({ caFile: undefined, tokenFile: undefined });
    expect(loadServerConfig([], base, dir).issuers[0]).toMatchObject({ caFile: undefined, tokenFile: undefined });
    // Explicit settings win, and must exist.
    expect(() => loadServerConfig([], { ...inPod, ISSUER_CA_FILE: join(dir, 'nope.crt') }, dir)).toThrow(/ISSUER_CA_FILE .*nope.crt does not exist/);
  });
});

describe('several trusted issuers (ISSUERS_FILE)', () => {
  async function issuersFile(content: unknown): Promise<string> {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const path = join(await mkdtemp(join(tmpdir(), 'wid-issuers-')), 'issuers.json');
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  it('reads one entry per issuer', async () => {
    const path = await issuersFile([
      { issuer: 'https://container.googleapis.com/v1/projects/p/locations/l/clusters/a', audience: 'hello' },
      { issuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC', audience: 'hello', jwksUri: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/keys' },
    ]);
    const config = loadServerConfig([], { ISSUERS_FILE: path });
    expect(config.issuers.map((i) => [i.issuer, i.jwksUri])).toEqual([
      ['https://container.googleapis.com/v1/projects/p/locations/l/clusters/a', undefined],
      ['https://oidc.eks.eu-west-1.amazonaws.com/id/ABC', 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/keys'],
    ]);
  });

  it.each([
    ['not JSON', '{', /is not readable JSON/],
    ['empty', [], /non-empty JSON array/],
    ['entry without audience', [{ issuer: 'https://a' }], /entry 0: "audience" must be a non-empty string/],
    ['unknown field', [{ issuer: 'https://a', audience: 'x', jwks: 'y' }], /entry 0: unknown field "jwks"/],
    ['http issuer', [{ issuer: 'http://a', audience: 'x' }], /entry 0: issuer "http:\/\/a" must be an https:\/\/ URL/],
    ['same issuer twice', [{ issuer: 'https://a', audience: 'x' }, { issuer: 'https://a', audience: 'y' }], /lists https:\/\/a twice/],
  ])('names the problem: %s', async (_name, content, message) => {
    const path = await issuersFile(content);
    expect(() => loadServerConfig([], { ISSUERS_FILE: path })).toThrow(message);
  });

  it('refuses ISSUERS_FILE together with ID_ISSUER', async () => {
    const path = await issuersFile([{ issuer: 'https://a', audience: 'x' }]);
    expect(() => loadServerConfig([], { ...base, ISSUERS_FILE: path })).toThrow(/ISSUERS_FILE and ID_ISSUER are both set/);
  });
});
