import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamHelloResponse } from '../../src/gen/wid/demo/v1/hello.js';
import { CLIENT_MESSAGES } from '../../src/server/auth/index.js';
import { bearer, startHarness, type Harness } from '../support/harness.js';

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
