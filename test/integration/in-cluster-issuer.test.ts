import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { LocalIssuer } from '../../src/dev/local-issuer.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/server.js';
import { bearer, unary } from '../support/harness.js';
import { HelloServiceClient } from '../../src/gen/wid/demo/v1/hello.js';
import { credentials } from '@grpc/grpc-js';
import { makeTestPki } from '../support/tls.js';

// kube-apiserver as issuer: https with the cluster CA, and discovery/JWKS only for authenticated callers.
let dir: string;
let issuer: LocalIssuer;
const podToken = 'pod-own-token';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wid-incluster-'));
  const pki = await makeTestPki(dir);
  issuer = await LocalIssuer.start({ tls: { cert: await readFile(pki.certFile), key: await readFile(pki.keyFile) }, requireBearer: podToken });
  // The pod's own credentials, where kubelet mounts them.
  await writeFile(join(dir, 'ca.crt'), await readFile(pki.caFile));
  await writeFile(join(dir, 'token'), `${podToken}\n`);
}, 30_000);
afterAll(async () => {
  await issuer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('in-cluster key discovery', () => {
  it('fetches discovery and JWKS with the cluster CA and the pod token, then verifies calls', async () => {
    const config = loadServerConfig(['--host', '127.0.0.1', '--port', '0'], {
      ID_ISSUER: issuer.issuer,
      JWT_AUDIENCE: 'in-cluster',
      ISSUER_CA_FILE: join(dir, 'ca.crt'),
      ISSUER_TOKEN_FILE: join(dir, 'token'),
    });
    const server = await startServer(config, silentLogger);
    await server.ready;
    expect(issuer.unauthorized).toBe(0);
    expect(issuer.requests.get('/.well-known/openid-configuration')).toBe(1);
    const client = new HelloServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    const token = issuer.mint({ audiences: ['in-cluster'], namespace: 'id-namespace', serviceAccount: 'gke-sa' });
    expect(await unary(client.privateHello, client, { name: 'k8s' }, bearer(token))).toMatchObject({ ok: true });
    client.close();
    await server.shutdown(1_000);
  });

  it('stays NOT_SERVING, and says why, without the pod token', async () => {
    const lines: string[] = [];
    const logger = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void lines.push(`${msg} ${JSON.stringify(fields)}`) };
    const config = loadServerConfig(['--host', '127.0.0.1', '--port', '0'], { ID_ISSUER: issuer.issuer, JWT_AUDIENCE: 'x', ISSUER_CA_FILE: join(dir, 'ca.crt') });
    const server = await startServer(config, logger);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.keySources.get(issuer.issuer)?.status().hasKeys).toBe(false);
    expect(lines.join('\n')).toMatch(/HTTP 401 \(the issuer wants authentication/);
    await server.shutdown(1_000);
  });
});
