import { type CallCredentials, type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';

export interface TransportOptions {
  /** Send the bearer token without TLS. Anyone on the path can read and replay it: opt in explicitly. */
  plaintext?: boolean;
  /** PEM CA bundle to trust instead of the system roots. */
  caFile?: string;
}

/**
 * Channel credentials for a client that authenticates with call credentials. Over TLS the call
 * credentials are composed into the channel. grpc-js refuses that composition on an insecure channel,
 * so with `plaintext` the caller must pass `callCredentials` per call (see perCallOptions).
 */
export function channelCredentials(call: CallCredentials, options: TransportOptions = {}): ChannelCredentials {
  if (options.plaintext) return credentials.createInsecure();
  const ca = options.caFile !== undefined ? readFileSync(options.caFile) : null;
  return credentials.combineChannelCredentials(credentials.createSsl(ca), call);
}

/** Call options that carry the token over a plaintext channel; empty over TLS, where the channel carries it. */
export function perCallOptions(call: CallCredentials, options: TransportOptions = {}): { credentials?: CallCredentials } {
  return options.plaintext ? { credentials: call } : {};
}
