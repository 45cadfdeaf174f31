import { credentials, Metadata, Server, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { HelloServiceClient, HelloServiceService, type HelloServiceServer, type StreamHelloResponse } from '../../src/gen/wid/demo/v1/hello.js';
import { InFlightCalls, SHUTDOWN_MESSAGE, shutdownGracefully } from '../../src/server/graceful-shutdown.js';
import { bearer, startHarness } from '../support/harness.js';

describe('graceful shutdown', () => {
  it('lets in-flight unary calls finish and refuses new ones', async () => {
    const slow: HelloServiceServer = {
      publicHello: (call, callback) => void setTimeout(() => callback(null, { message: `done ${call.request.name}` }), 400),
      privateHello: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      whoAmI: (_c, cb) => cb({ code: status.UNIMPLEMENTED }),
      streamHello: (call) => call.end(),
    };
    const calls = new InFlightCalls();
    const server = new Server({ interceptors: [calls.interceptor] });
    server.addService(HelloServiceService, slow);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = new HelloServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const call = (name: string) => new Promise<string>((resolve, reject) => client.publicHello({ name }, (e, r) => (e ? reject(e) : resolve(r.message))));

    const inFlight = Array.from({ length: 20 }, (_, i) => call(String(i)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.size).toBe(20);
    const shutdown = shutdownGracefully(server, calls, 5_000, silentLogger);
    expect(await Promise.all(inFlight)).toEqual(Array.from({ length: 20 }, (_, i) => `done ${i}`));
    await shutdown;
    await expect(call('late')).rejects.toMatchObject({ code: status.UNAVAILABLE });
    client.close();
  });

  it('ends streams still open after the grace period with UNAVAILABLE and a clear message', async () => {
    const h = await startHarness();
    const stream = h.client.streamHello({ name: 's', count: 1000, intervalMs: 50 }, bearer(h.token()));
    const received: number[] = [];
    stream.on('data', (m: StreamHelloResponse) => received.push(m.sequence));
    const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await h.server.shutdown(300);
    const error = await ended;
    expect(error).toMatchObject({ code: status.UNAVAILABLE, details: SHUTDOWN_MESSAGE });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(received.length).toBeGreaterThan(2);
    h.client.close();
    await h.issuer.close();
  });
});
