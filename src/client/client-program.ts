import { type CallCredentials, type CallOptions, status, type ServiceError } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_MESSAGES } from '../common/auth-messages.js';
import type { Logger } from '../common/logger.js';
import { tokenCallCredentials, tokenFileSource } from './call-credentials.js';
import { gkeMetadataIdentitySource } from './gke-metadata-source.js';
import { channelCredentials, perCallOptions, type TransportOptions } from './channel-credentials.js';
import { callUnary, collectStream, HelloServiceClient } from './hello-client.js';

export interface ClientProgramOptions extends TransportOptions {
  endpoint: string;
  tokenFile: string;
  /** `cluster`: the projected token file (default); `google`: an ID token from the GKE metadata server. */
  identity?: 'cluster' | 'google';
  /** Audience asked of the metadata server with `identity: google`. */
  audience?: string;
  intervalMs: number;
  /** Messages per StreamHello each round; 0 skips the stream. */
  streamCount: number;
  /** Rounds to run; 0 runs until `signal` aborts. */
  rounds: number;
  /** Also call PrivateHello without a token each round, to show the refusal (the demo does). */
  showRefusal?: boolean;
  name?: string;
  signal?: AbortSignal;
  logger: Logger;
}

/**
 * What the client pod runs: every round, PublicHello and PrivateHello (and StreamHello when asked), one
 * log line per result, and on to the next round whatever failed.
 */
export async function runClientProgram(options: ClientProgramOptions): Promise<void> {
  const { logger, signal } = options;
  const source =
    options.identity === 'google' ? gkeMetadataIdentitySource({ audience: options.audience ?? options.endpoint.replace(/:\d+$/, '') }) : tokenFileSource(options.tokenFile);
  const callCredentials: CallCredentials = tokenCallCredentials(source, { logger });
  const client = new HelloServiceClient(options.endpoint, channelCredentials(callCredentials, options));
  const authenticated = perCallOptions(callCredentials, options);
  const name = options.name ?? 'client';
  try {
    for (let round = 1; options.rounds === 0 || round <= options.rounds; round++) {
      if (signal?.aborted) break;
      await report(logger, round, 'PublicHello', () => callUnary(client, 'publicHello', name));
      await report(logger, round, 'PrivateHello', () => callUnary(client, 'privateHello', name, authenticated));
      if (options.showRefusal) await report(logger, round, 'PrivateHello without token', () => callUnary(client, 'privateHello', name));
      if (options.streamCount > 0) {
        await report(logger, round, 'StreamHello', () => streamWithReopen(client, name, options.streamCount, authenticated, logger));
      }
      if (options.rounds !== 0 && round === options.rounds) break;
      await sleep(options.intervalMs, undefined, signal ? { signal } : {}).catch(() => {});
    }
  } finally {
    client.close();
  }
}

/**
 * Receives `count` messages. When the server ends the stream because the token that opened it expired,
 * re-opens it (the call credentials read the token kubelet has rotated in meanwhile) for the rest.
 */
async function streamWithReopen(client: HelloServiceClient, name: string, count: number, options: Partial<CallOptions>, logger: Logger): Promise<string> {
  let received = 0;
  let last = '-';
  for (let reopened = 0; ; reopened++) {
    try {
      const messages = await collectStream(client, { name, count: count - received, intervalMs: 100 }, options, () => (received += 1));
      last = messages.at(-1)?.message ?? last;
      return `${received} messages${reopened > 0 ? ` (re-opened ${reopened}x after token expiry)` : ''}, last: ${last}`;
    } catch (error) {
      const { code, details } = error as ServiceError;
      if (code !== status.UNAUTHENTICATED || details !== CLIENT_MESSAGES.expired || reopened >= 3 || received >= count) throw error;
      logger.info('stream ended by token expiry: re-opening with the current token', { received, remaining: count - received });
    }
  }
}

async function report(logger: Logger, round: number, rpc: string, call: () => Promise<string>): Promise<void> {
  try {
    logger.info(`${rpc}: ok`, { round, rpc, ok: true, message: await call() });
  } catch (error) {
    const { code, details } = error as ServiceError;
    logger.warn(`${rpc}: ${status[code] ?? 'ERROR'}`, { round, rpc, ok: false, code: status[code] ?? String(code), details: details ?? String(error) });
  }
}
