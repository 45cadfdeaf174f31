import { Metadata, status } from '@grpc/grpc-js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelCredentials, tokenFileCallCredentials } from '../../src/client/index.js';
import { HelloServiceClient } from '../../src/gen/wid/demo/v1/hello.js';
import { startHarness, type Harness } from '../support/harness.js';
import { makeTestPki } from '../support/tls.js';

let dir: string;
let h: Harness;
let pki: Awaited<ReturnType<typeof makeTestPki>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wid-tls-'));
  pki = await makeTestPki(dir);
  h = await startHarness({ tlsCert: pki.certFile, tlsKey: pki.keyFile });
}, 30_000);
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

function privateHello(client: HelloServiceClient): Promise<{ code: status; message?: string }> {
  return new Promise((resolve) => {
    client.privateHello({ name: 'tls' }, new Metadata(), { deadline: Date.now() + 5_000 }, (error, response) =>
      resolve(error ? { code: error.code } : { code: status.OK, message: response.message }),
    );
  });
}

describe('TLS end to end (server TLS_CERT/TLS_KEY, client CA_FILE)', () => {
  it('authenticates over TLS with the token composed into the channel', async () => {
    const tokenPath = join(dir, 'token');
    await writeFile(tokenPath, h.token());
    const client = new HelloServiceClient(`localhost:${h.server.port}`, channelCredentials(tokenFileCallCredentials(tokenPath), { caFile: pki.caFile }));
    expect(await privateHello(client)).toEqual({ code: status.OK, message: expect.stringContaining('service account gke-sa') });
    client.close();
  });

  it('refuses a server whose certificate the client does not trust', async () => {
    const tokenPath = join(dir, 'token');
    const client = new HelloServiceClient(`localhost:${h.server.port}`, channelCredentials(tokenFileCallCredentials(tokenPath)));
    expect((await privateHello(client)).code).toBe(status.UNAVAILABLE);
    client.close();
  });
});
