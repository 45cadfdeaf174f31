import { status, type ServiceError } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClientProgram } from '../../src/client/client-program.js';
import { ProjectedTokenWriter } from '../../src/dev/projected-token-writer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamHelloResponse } from '../../src/gen/wid/demo/v1/hello.js';
import { CLIENT_MESSAGES } from '../../src/server/auth/index.js';
import { bearer, recordingLogger, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function openStream(token: string, count: number, intervalMs: number) {
  const call = h.client.streamHello({ name: 'long', count, intervalMs }, bearer(token));
  const received: number[] = [];
  call.on('data', (m: StreamHelloResponse) => received.push(m.sequence));
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    call.on('error', resolve);
    call.on('end', () => resolve(undefined));
  });
  return { received, ended };
}

describe('streams and token expiry', () => {
  it('ends a stream with UNAUTHENTICATED when the token that opened it expires', async () => {
    // Expires 1.5 s from now: the issuer signs a lifetime that ends then (skew is not granted mid-stream).
    const now = Math.floor(Date.now() / 1000);
    const token = h.token({ issuedAt: now - 598, expirationSeconds: 600 });
    const started = Date.now();
    const { received, ended } = openStream(token, 1000, 50);
    const error = await ended;
    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(error?.details).toBe(CLIENT_MESSAGES.expired);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(received.length).toBeGreaterThan(5);
    expect(received.length).toBeLessThan(1000);
  });

  it('lets a stream whose token outlives it finish', async () => {
    const { received, ended } = openStream(h.token(), 10, 5);
    expect(await ended).toBeUndefined();
    expect(received).toHaveLength(10);
  });
});

describe('the client program and expiring streams', () => {
  it('re-opens a stream ended by token expiry with the token kubelet rotated in, and gets every message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wid-reopen-'));
    const writer = new ProjectedTokenWriter(dir);
    // Each token lives 2 s; the stand-in kubelet writes a new one every second.
    const shortLived = () => h.token({ issuedAt: Math.floor(Date.now() / 1000) - 598, expirationSeconds: 600 });
    await writer.write(shortLived());
    const rotation = setInterval(() => void writer.write(shortLived()), 1_000);
    const logger = recordingLogger();
    try {
      await runClientProgram({ endpoint: h.address, tokenFile: writer.tokenPath, plaintext: true, intervalMs: 0, streamCount: 30, rounds: 1, logger });
    } finally {
      clearInterval(rotation);
      await rm(dir, { recursive: true, force: true });
    }
    const result = logger.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.rpc === 'StreamHello');
    expect(result).toMatchObject({ ok: true, message: expect.stringMatching(/^30 messages \(re-opened [123]x after token expiry\), last: .*message \d+ of \d+$/) });
    expect(logger.lines.some((l) => l.includes('stream ended by token expiry: re-opening'))).toBe(true);
  });
});
