import { type Server, ServerInterceptingCall, type ServerInterceptor, status } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.js';

export const SHUTDOWN_MESSAGE = 'server is shutting down: retry on another replica';

/**
 * Tracks in-flight calls so that shutdown can wait for them, and end the ones still running after the
 * grace period with UNAVAILABLE (a status clients retry on) rather than a bare connection reset.
 */
export class InFlightCalls {
  private readonly calls = new Set<{ end(): void }>();

  get size(): number {
    return this.calls.size;
  }

  readonly interceptor: ServerInterceptor = (_method, call) => {
    const entry = { end: () => call.sendStatus({ code: status.UNAVAILABLE, details: SHUTDOWN_MESSAGE }) };
    this.calls.add(entry);
    const forget = (): void => void this.calls.delete(entry);
    return new ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: forget }),
      sendStatus: (statusObject, next) => {
        forget();
        next(statusObject);
      },
    });
  };

  /** Ends every call still in flight with UNAVAILABLE. */
  endAll(): number {
    const count = this.calls.size;
    for (const call of [...this.calls]) call.end();
    return count;
  }
}

/**
 * Stops accepting connections and calls, waits up to `graceMs` for in-flight calls to finish, then ends
 * the rest with UNAVAILABLE and closes the server.
 */
export async function shutdownGracefully(server: Server, calls: InFlightCalls, graceMs: number, logger: Logger): Promise<void> {
  const drained = new Promise<'drained'>((resolve) => server.tryShutdown(() => resolve('drained')));
  logger.info('draining in-flight calls', { in_flight: calls.size, grace_ms: graceMs });
  const outcome = await Promise.race([drained, sleep(graceMs, 'timeout' as const, { ref: false })]);
  if (outcome === 'timeout') {
    const ended = calls.endAll();
    logger.warn('grace period over: ended remaining calls with UNAVAILABLE', { ended, grace_ms: graceMs });
    // Let the status frames go out before the connections close.
    await Promise.race([drained, sleep(200, undefined, { ref: false })]);
    server.forceShutdown();
  }
}
