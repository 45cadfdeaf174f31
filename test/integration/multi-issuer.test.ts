import { credentials, status } from '@grpc/grpc-js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { LocalIssuer } from '../../src/dev/local-issuer.js';
import { signCompact } from '../../src/dev/service-account-token.js';
import { HelloServiceClient, type WhoAmIRequest, type WhoAmIResponse } from '../../src/gen/wid/demo/v1/hello.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { bearer, unary } from '../support/harness.js';

// Two clusters, each with its own issuer and audience, trusted by one server.
let dir: string;
let east: LocalIssuer;
let west: LocalIssuer;
let server: RunningServer;
let client: HelloServiceClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wid-multi-'));
  [east, west] = await Promise.all([LocalIssuer.start(), LocalIssuer.start()]);
  await writeFile(join(dir, 'issuers.json'), JSON.stringify([
    { issuer: east.issuer, audience: 'hello-east' },
    { issuer: west.issuer, audience: 'hello-west', jwksUri: west.jwksUri },
  ]));
  server = await startServer(loadServerConfig([], { ISSUERS_FILE: join(dir, 'issuers.json'), ALLOW_HTTP_ISSUER: 'true', HOST: '127.0.0.1', PORT: '0' }), silentLogger);
  await server.ready;
  client = new HelloServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  await server.shutdown(500);
  await Promise.all([east.close(), west.close()]);
  await rm(dir, { recursive: true, force: true });
});

const whoAmI = (token: string) => unary<WhoAmIRequest, WhoAmIResponse>(client.whoAmI, client, {}, bearer(token));

describe('several trusted issuers', () => {
  it('accepts each cluster\'s tokens for its own audience, and the identity names its issuer', async () => {
    expect(await whoAmI(east.mint({ audiences: ['hello-east'], namespace: 'a', serviceAccount: 'one' }))).toMatchObject({ ok: true, response: { issuer: east.issuer, namespace: 'a' } });
    expect(await whoAmI(west.mint({ audiences: ['hello-west'], namespace: 'b', serviceAccount: 'two' }))).toMatchObject({ ok: true, response: { issuer: west.issuer, namespace: 'b' } });
  });

  it('refuses a token for the other cluster\'s audience', async () => {
    expect(await whoAmI(east.mint({ audiences: ['hello-west'], namespace: 'a', serviceAccount: 'one' }))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });

  it('checks a token only against its own issuer\'s keys', async () => {
    // Claims east as issuer, signed with west's (trusted, published) key and kid.
    const payload = JSON.parse(Buffer.from((east.mint({ audiences: ['hello-east'], namespace: 'a', serviceAccount: 'one' }).split('.')[1] ?? ''), 'base64url').toString()) as object;
    const crossSigned = signCompact(west.signingKey, { alg: 'RS256', kid: west.signingKey.kid }, payload);
    expect(await whoAmI(crossSigned)).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });

  it('refuses an issuer it does not trust', async () => {
    const stranger = await LocalIssuer.start();
    expect(await whoAmI(stranger.mint({ audiences: ['hello-east'], namespace: 'a', serviceAccount: 'one' }))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
    await stranger.close();
  });
});
