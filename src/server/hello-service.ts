import { type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, status } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  HelloServiceServer,
  PrivateHelloRequest,
  PrivateHelloResponse,
  StreamHelloRequest,
  StreamHelloResponse,
  WhoAmIRequest,
  WhoAmIResponse,
} from '../gen/wid/demo/v1/hello.js';
import { getIdentity } from './auth/index.js';

export const STREAM_LIMITS = { maxCount: 1000, maxIntervalMs: 60_000 } as const;

/** The reference service. It reads the verified caller with getIdentity(call); it never parses headers. */
export const helloService: HelloServiceServer = {
  publicHello(call, callback) {
    callback(null, { message: `Hello ${displayName(call.request.name)}, from the public API` });
  },

  privateHello(call: ServerUnaryCall<PrivateHelloRequest, PrivateHelloResponse>, callback: sendUnaryData<PrivateHelloResponse>) {
    const caller = getIdentity(call);
    callback(null, {
      message: `Hello ${displayName(call.request.name)}, from the private API: you are service account ${caller.serviceAccount.name} in namespace ${caller.namespace}`,
    });
  },

  whoAmI(call: ServerUnaryCall<WhoAmIRequest, WhoAmIResponse>, callback: sendUnaryData<WhoAmIResponse>) {
    const id = getIdentity(call);
    callback(null, {
      issuer: id.issuer,
      subject: id.subject,
      namespace: id.namespace,
      serviceAccountName: id.serviceAccount.name,
      serviceAccountUid: id.serviceAccount.uid,
      podName: id.pod?.name ?? '',
      podUid: id.pod?.uid ?? '',
      nodeName: id.node?.name ?? '',
      audiences: [...id.audiences],
      expiresAt: id.expiresAt,
    });
  },

  streamHello(call: ServerWritableStream<StreamHelloRequest, StreamHelloResponse>) {
    const { name, count, intervalMs } = call.request;
    if (count < 1 || count > STREAM_LIMITS.maxCount || intervalMs > STREAM_LIMITS.maxIntervalMs) {
      call.emit('error', {
        code: status.INVALID_ARGUMENT,
        details: `count must be 1-${STREAM_LIMITS.maxCount} and interval_ms 0-${STREAM_LIMITS.maxIntervalMs} (got count ${count}, interval_ms ${intervalMs})`,
      });
      return;
    }
    const caller = getIdentity(call);
    const cancelled = new AbortController();
    call.once('cancelled', () => cancelled.abort());
    void (async () => {
      try {
        for (let sequence = 1; sequence <= count; sequence++) {
          if (sequence > 1 && intervalMs > 0) await sleep(intervalMs, undefined, { signal: cancelled.signal });
          if (cancelled.signal.aborted) return;
          const message = `Hello ${displayName(name)} (${caller.namespace}/${caller.serviceAccount.name}), message ${sequence} of ${count}`;
          if (!call.write({ sequence, message })) await waitForDrain(call, cancelled.signal);
        }
        call.end();
      } catch {
        if (!cancelled.signal.aborted) call.emit('error', { code: status.INTERNAL, details: 'stream failed' });
      }
    })();
  },
};

function displayName(name: string): string {
  const trimmed = name.trim().slice(0, 100);
  return trimmed === '' ? 'stranger' : trimmed;
}

function waitForDrain(call: ServerWritableStream<StreamHelloRequest, StreamHelloResponse>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    call.once('drain', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
