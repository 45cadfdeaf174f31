import { readSettings, settingsUsage } from '../common/settings.js';

export interface ClientConfig {
  endpoint: string;
  tokenFile: string;
  identity: 'cluster' | 'google';
  audience: string | undefined;
  plaintext: boolean;
  caFile: string | undefined;
  intervalMs: number;
  streamCount: number;
  rounds: number;
}

export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
}

export const CLIENT_SETTINGS = [
  { env: 'SERVICE_ENDPOINT', flag: 'endpoint', help: 'server host:port (required)' },
  { env: 'TOKEN_FILE', flag: 'token-file', help: 'projected token path (default /var/run/secrets/tokens/gke-sa)' },
  { env: 'IDENTITY', flag: 'identity', help: 'cluster (projected token file, default) or google (GKE metadata server ID token)' },
  { env: 'AUDIENCE', flag: 'audience', help: 'with IDENTITY=google: audience of the ID token (default: the endpoint host)' },
  { env: 'PLAINTEXT', flag: 'plaintext', help: 'true sends the token without TLS (anyone on the path can read it)' },
  { env: 'CA_FILE', flag: 'ca-file', help: 'PEM CA bundle to trust instead of the system roots' },
  { env: 'INTERVAL_MS', flag: 'interval-ms', help: 'pause between rounds (default 10000)' },
  { env: 'STREAM_COUNT', flag: 'stream-count', help: 'StreamHello messages per round, 0 for none (default 0)' },
  { env: 'ROUNDS', flag: 'rounds', help: 'rounds to run, 0 for until SIGTERM (default 0)' },
] as const;

export function clientUsage(): string {
  return settingsUsage('npm run client', CLIENT_SETTINGS);
}

export function loadClientConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ClientConfig {
  const get = readSettings(CLIENT_SETTINGS, argv, env, (message) => new ClientConfigError(message));
  const endpoint = get('SERVICE_ENDPOINT');
  if (endpoint === undefined) throw new ClientConfigError('SERVICE_ENDPOINT is not set: the server as host:port');
  const plaintextText = get('PLAINTEXT') ?? 'false';
  if (!/^(true|false)$/i.test(plaintextText)) throw new ClientConfigError(`PLAINTEXT ${JSON.stringify(plaintextText)} is not true or false`);
  const identity = get('IDENTITY') ?? 'cluster';
  if (identity !== 'cluster' && identity !== 'google') throw new ClientConfigError(`IDENTITY ${JSON.stringify(identity)} is not cluster or google`);
  return {
    endpoint,
    tokenFile: get('TOKEN_FILE') ?? '/var/run/secrets/tokens/gke-sa',
    identity,
    audience: get('AUDIENCE'),
    plaintext: plaintextText.toLowerCase() === 'true',
    caFile: get('CA_FILE'),
    intervalMs: integer('INTERVAL_MS', get('INTERVAL_MS') ?? '10000', 0),
    streamCount: integer('STREAM_COUNT', get('STREAM_COUNT') ?? '0', 0),
    rounds: integer('ROUNDS', get('ROUNDS') ?? '0', 0),
  };
}

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min) throw new ClientConfigError(`${name} ${JSON.stringify(text)} is not a whole number ≥ ${min}`);
  return value;
}
