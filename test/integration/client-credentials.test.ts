import { credentials, Metadata, status } from '@grpc/grpc-js';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelCredentials, perCallOptions, tokenFileCallCredentials } from '../../src/client/index.js';
import { ProjectedTokenWriter } from '../../src/dev/projected-token-writer.js';
import type { PrivateHelloRequest, PrivateHelloResponse, WhoAmIRequest, WhoAmIResponse } from '../../src/gen/wid/demo/v1/hello.js';
import { HelloServiceClient } from '../../src/gen/wid/demo/v1/hello.js';
import { recordingLogger, startHarness, unary, type Harness } from '../support/harness.js';

let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'wid-client-'));
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

/** A plaintext client whose calls carry the token file's credentials per call. */
function clientFor(tokenPath: string, logger = recordingLogger()) {
  const callCredentials = tokenFileCallCredentials(tokenPath, { logger });
  const client = new HelloServiceClient(h.address, channelCredentials(callCredentials, { plaintext: true }));
  const options = perCallOptions(callCredentials, { plaintext: true });
  return {
    client,
    logger,
    whoAmI: () => unary<WhoAmIRequest, WhoAmIResponse>(client.whoAmI, client, {}, new Metadata(), options),
    privateHello: () => unary<PrivateHelloRequest, PrivateHelloResponse>(client.privateHello, client, { name: 'c' }, new Metadata(), options),
  };
}

describe('token file call credentials', () => {
  it('follow kubelet-style rotation under load: every call succeeds, each new identity from the next call on', async () => {
    const writer = new ProjectedTokenWriter(join(dir, 'rotating'));
    await writer.write(h.token({ serviceAccount: 'sa-0' }));
    const { client, whoAmI, privateHello } = clientFor(writer.tokenPath);
    let stop = false;
    let background = 0;
    const failures: unknown[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const result = await privateHello();
        background += 1;
        if (!result.ok) failures.push(result);
      }
    });
    for (let i = 1; i <= 60; i++) {
      await writer.write(h.token({ serviceAccount: `sa-${i}` }));
      const seen = await whoAmI();
      expect(seen).toMatchObject({ ok: true, response: { serviceAccountName: `sa-${i}` } });
    }
    stop = true;
    await Promise.all(load);
    client.close();
    expect(failures).toEqual([]);
    expect(background).toBeGreaterThan(60);
  });

  it('fail with the documented status for each broken file, and recover on the next call', async () => {
    const path = join(dir, 'broken', 'token');
    const { client, privateHello } = clientFor(path);

    const missing = await privateHello();
    expect(missing).toMatchObject({ ok: false, code: status.UNAVAILABLE });
    expect(missing.ok || missing.details).toContain(path);

    await mkdir(join(dir, 'broken'), { recursive: true });
    await writeFile(path, '');
    expect(await privateHello()).toMatchObject({ ok: false, code: status.UNAVAILABLE, details: expect.stringContaining('empty') });

    await writeFile(path, `${h.token()}\n`);
    expect(await privateHello()).toMatchObject({ ok: true });

    await writeFile(path, 'this is not a token');
    expect(await privateHello()).toMatchObject({ ok: false, code: status.UNAUTHENTICATED, details: expect.stringContaining('not a JWT') });

    await writeFile(path, h.token());
    expect(await privateHello()).toMatchObject({ ok: true });
    client.close();
  });

  it('recover when the whole projected directory is deleted and recreated', async () => {
    const writer = new ProjectedTokenWriter(join(dir, 'recreated'));
    await writer.write(h.token());
    const { client, privateHello } = clientFor(writer.tokenPath);
    expect(await privateHello()).toMatchObject({ ok: true });
    await rm(writer.directory, { recursive: true });
    expect(await privateHello()).toMatchObject({ ok: false, code: status.UNAVAILABLE });
    await writer.write(h.token({ serviceAccount: 'reborn' }));
    expect(await privateHello()).toMatchObject({ ok: true, response: { message: expect.stringContaining('reborn') } });
    client.close();
  });

  it('warn, rate-limited and without the token, when the token is about to expire', async () => {
    const path = join(dir, 'expiring');
    const token = h.token({ expirationSeconds: 120 });
    await writeFile(path, token);
    const { client, logger, privateHello } = clientFor(path);
    for (let i = 0; i < 3; i++) expect(await privateHello()).toMatchObject({ ok: true });
    const warnings = logger.lines.filter((line) => line.includes('expires soon'));
    expect(warnings).toHaveLength(1);
    expect(logger.lines.join('\n')).not.toContain(token.split('.')[2]);
    client.close();
  });
});

describe('plaintext is an explicit choice', () => {
  it('grpc-js refuses call credentials composed into an insecure channel', () => {
    const callCredentials = tokenFileCallCredentials(join(dir, 'unused'));
    expect(() => credentials.combineChannelCredentials(credentials.createInsecure(), callCredentials)).toThrow();
  });

  it('the default transport is TLS: a plaintext server is not reached with the token', async () => {
    const path = join(dir, 'tls-default');
    await writeFile(path, h.token());
    const callCredentials = tokenFileCallCredentials(path);
    const client = new HelloServiceClient(h.address, channelCredentials(callCredentials), { 'grpc.initial_reconnect_backoff_ms': 100 });
    const result = await unary<PrivateHelloRequest, PrivateHelloResponse>(client.privateHello, client, { name: '' }, new Metadata(), { deadline: Date.now() + 3_000 });
    expect(result).toMatchObject({ ok: false });
    expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(result.ok ? -1 : result.code);
    client.close();
  });
});

