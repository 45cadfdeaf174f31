import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSettings, settingsUsage } from '../common/settings.js';

/** One issuer the server trusts, with the audience it must carry and where its keys come from. */
export interface TrustedIssuer {
  issuer: string;
  audience: string;
  jwksUri: string | undefined;
  jwksFile: string | undefined;
  /** CA bundle for discovery and JWKS fetches (in a pod, for the cluster's own issuer: the service account's ca.crt). */
  caFile: string | undefined;
  /** Token sent as bearer on discovery and JWKS fetches (in a pod, for the cluster's own issuer: the pod's own token). */
  tokenFile: string | undefined;
  allowHttp: boolean;
}

export interface ServerConfig {
  /** One entry from ID_ISSUER & co., or several from ISSUERS_FILE. */
  issuers: TrustedIssuer[];
  host: string;
  port: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  authorizedSubjects: string[];
  clockSkewSeconds: number;
  maxTokenLifetimeSeconds: number;
  /** Verified tokens remembered per issuer (by SHA-256); 0 verifies every call's signature. */
  tokenCacheSize: number;
  keysMaxStaleSeconds: number;
  endStreamsOnExpiry: boolean;
  shutdownGraceSeconds: number;
  maxConcurrentStreams: number;
  maxReceiveMessageBytes: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Each setting: its environment variable (the seed's names), its flag, and what it means (for --help). */
export const SERVER_SETTINGS = [
  { env: 'ID_ISSUER', flag: 'issuer', help: 'issuer URL the tokens must carry in "iss" (required, unless ISSUERS_FILE)' },
  { env: 'JWT_AUDIENCE', flag: 'audience', help: 'audience this server accepts (required with ID_ISSUER)' },
  { env: 'ISSUERS_FILE', flag: 'issuers-file', help: 'JSON list of {issuer, audience, jwksUri?, jwksFile?, caFile?, tokenFile?} to trust several clusters' },
  { env: 'JWKS_URI', flag: 'jwks-uri', help: 'JWKS URL, instead of OIDC discovery from the issuer' },
  { env: 'JWKS_FILE', flag: 'jwks-file', help: 'static JWKS file, no network (kubectl get --raw /openid/v1/jwks)' },
  { env: 'HOST', flag: 'host', help: 'listen address (default 0.0.0.0)' },
  { env: 'PORT', flag: 'port', help: 'listen port (default 50051)' },
  { env: 'TLS_CERT', flag: 'tls-cert', help: 'PEM certificate chain; serve TLS when set with TLS_KEY' },
  { env: 'TLS_KEY', flag: 'tls-key', help: 'PEM private key for TLS_CERT' },
  { env: 'ALLOW_HTTP_ISSUER', flag: 'allow-http-issuer', help: 'true allows http:// issuer and JWKS URLs (local development only)' },
  { env: 'AUTHORIZED_SUBJECTS', flag: 'authorized-subjects', help: 'comma-separated system:serviceaccount:<ns>:<sa|*> allowed to call' },
  { env: 'ISSUER_CA_FILE', flag: 'issuer-ca-file', help: 'PEM CA bundle for discovery/JWKS fetches (default in a pod, for the cluster issuer: its ca.crt)' },
  { env: 'ISSUER_TOKEN_FILE', flag: 'issuer-token-file', help: 'bearer token file for discovery/JWKS fetches (default in a pod, for the cluster issuer: its own token)' },
  { env: 'CLOCK_SKEW_SECONDS', flag: 'clock-skew-seconds', help: 'allowed clock difference for exp/nbf/iat (default 30)' },
  { env: 'MAX_TOKEN_LIFETIME_SECONDS', flag: 'max-token-lifetime-seconds', help: 'longest accepted exp - iat (default 86400: one day)' },
  { env: 'TOKEN_CACHE_SIZE', flag: 'token-cache-size', help: 'verified tokens remembered by hash, per issuer (default 10000; 0 turns the cache off)' },
  { env: 'KEYS_MAX_STALE_SECONDS', flag: 'keys-max-stale-seconds', help: 'how long the last good keys are used while the issuer is unreachable (default 86400)' },
  { env: 'END_STREAMS_ON_EXPIRY', flag: 'end-streams-on-expiry', help: 'end streams with UNAUTHENTICATED when their token expires (default true)' },
  { env: 'SHUTDOWN_GRACE_SECONDS', flag: 'shutdown-grace-seconds', help: 'on SIGTERM, how long in-flight calls may finish (default 10)' },
  { env: 'MAX_CONCURRENT_STREAMS', flag: 'max-concurrent-streams', help: 'concurrent calls per HTTP/2 connection (default 100)' },
  { env: 'MAX_RECEIVE_MESSAGE_BYTES', flag: 'max-receive-message-bytes', help: 'largest request message accepted (default 65536)' },
] as const;

/** Where kubelet mounts a pod's own API credentials. */
export const IN_CLUSTER_CREDENTIALS_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Host names under which a pod reaches its own cluster's API server (and so its issuer). */
const IN_CLUSTER_API_HOSTS = new Set(['kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);

type Setting = (typeof SERVER_SETTINGS)[number]['env'];

export function serverUsage(): string {
  return settingsUsage('npm run server', SERVER_SETTINGS);
}

/** Flags win over the environment. Throws ConfigError naming the setting to fix. */
export function loadServerConfig(argv: readonly string[], env: NodeJS.ProcessEnv, credentialsDir = IN_CLUSTER_CREDENTIALS_DIR): ServerConfig {
  const get = readSettings(SERVER_SETTINGS, argv, env, (message) => new ConfigError(message));
  const required = (name: Setting): string => {
    const value = get(name);
    if (value === undefined) throw new ConfigError(`${name} is not set: ${SERVER_SETTINGS.find((s) => s.env === name)?.help}`);
    return value;
  };

  const allowHttp = parseBoolean('ALLOW_HTTP_ISSUER', get('ALLOW_HTTP_ISSUER'));
  const issuersFile = get('ISSUERS_FILE');
  const single = ['ID_ISSUER', 'JWT_AUDIENCE', 'JWKS_URI', 'JWKS_FILE', 'ISSUER_CA_FILE', 'ISSUER_TOKEN_FILE'] as const;
  let issuers: TrustedIssuer[];
  if (issuersFile !== undefined) {
    const clash = single.find((name) => get(name) !== undefined);
    if (clash !== undefined) throw new ConfigError(`ISSUERS_FILE and ${clash} are both set: list every issuer in ISSUERS_FILE`);
    issuers = readIssuersFile(issuersFile, allowHttp);
  } else {
    issuers = [{ issuer: required('ID_ISSUER'), audience: required('JWT_AUDIENCE'), jwksUri: get('JWKS_URI'), jwksFile: get('JWKS_FILE'), caFile: get('ISSUER_CA_FILE'), tokenFile: get('ISSUER_TOKEN_FILE'), allowHttp }];
  }
  issuers = issuers.map((entry, index) => checkIssuer(entry, issuersFile === undefined ? undefined : `ISSUERS_FILE entry ${index}`, env, credentialsDir));
  const duplicate = issuers.find((entry, index) => issuers.findIndex((other) => other.issuer === entry.issuer) !== index);
  if (duplicate !== undefined) throw new ConfigError(`ISSUERS_FILE lists ${duplicate.issuer} twice: one entry per issuer`);

  const tlsCert = get('TLS_CERT');
  const tlsKey = get('TLS_KEY');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ConfigError('TLS_CERT and TLS_KEY go together: set both, or neither for plaintext');
  for (const [name, file] of [['TLS_CERT', tlsCert], ['TLS_KEY', tlsKey]] as const) {
    if (file !== undefined && !existsSync(file)) throw new ConfigError(`${name} ${file} does not exist`);
  }

  const portText = get('PORT') ?? '50051';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) throw new ConfigError(`PORT ${JSON.stringify(portText)} is not a port number (0-65535)`);

  return {
    issuers,
    host: get('HOST') ?? '0.0.0.0',
    port,
    tlsCert,
    tlsKey,
    authorizedSubjects: (get('AUTHORIZED_SUBJECTS') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    clockSkewSeconds: integerSetting('CLOCK_SKEW_SECONDS', get('CLOCK_SKEW_SECONDS'), 30, 0, 600),
    maxTokenLifetimeSeconds: integerSetting('MAX_TOKEN_LIFETIME_SECONDS', get('MAX_TOKEN_LIFETIME_SECONDS'), 86_400, 600, 31_536_000),
    tokenCacheSize: integerSetting('TOKEN_CACHE_SIZE', get('TOKEN_CACHE_SIZE'), 10_000, 0, 1_000_000),
    keysMaxStaleSeconds: integerSetting('KEYS_MAX_STALE_SECONDS', get('KEYS_MAX_STALE_SECONDS'), 86_400, 60, 2_592_000),
    endStreamsOnExpiry: get('END_STREAMS_ON_EXPIRY') === undefined ? true : parseBoolean('END_STREAMS_ON_EXPIRY', get('END_STREAMS_ON_EXPIRY')),
    shutdownGraceSeconds: integerSetting('SHUTDOWN_GRACE_SECONDS', get('SHUTDOWN_GRACE_SECONDS'), 10, 0, 3_600),
    maxConcurrentStreams: integerSetting('MAX_CONCURRENT_STREAMS', get('MAX_CONCURRENT_STREAMS'), 100, 1, 100_000),
    maxReceiveMessageBytes: integerSetting('MAX_RECEIVE_MESSAGE_BYTES', get('MAX_RECEIVE_MESSAGE_BYTES'), 65_536, 1_024, 67_108_864),
  };
}

/** Checks one issuer entry and fills in the in-cluster defaults; `label` names the entry in errors. */
function checkIssuer(entry: TrustedIssuer, label: string | undefined, env: NodeJS.ProcessEnv, credentialsDir: string): TrustedIssuer {
  const name = (setting: string, field: string): string => (label === undefined ? setting : `${label}: ${field}`);
  const { issuer, jwksUri, jwksFile } = entry;
  if (jwksUri !== undefined && jwksFile !== undefined) throw new ConfigError(`${name('JWKS_URI and JWKS_FILE', 'jwksUri and jwksFile')} are both set: set one of them`);
  checkUrl(name('ID_ISSUER', 'issuer'), issuer, entry.allowHttp || jwksUri !== undefined || jwksFile !== undefined);
  if (jwksUri !== undefined) checkUrl(name('JWKS_URI', 'jwksUri'), jwksUri, entry.allowHttp);
  // In a pod, the cluster's own issuer is the API server: trust its CA and authenticate as this pod.
  const inCluster = env.KUBERNETES_SERVICE_HOST !== undefined && [issuer, jwksUri].some((u) => u !== undefined && IN_CLUSTER_API_HOSTS.has(hostOf(u)));
  const inClusterDefault = (file: string): string | undefined => (inCluster && existsSync(join(credentialsDir, file)) ? join(credentialsDir, file) : undefined);
  const checked = { ...entry, caFile: entry.caFile ?? inClusterDefault('ca.crt'), tokenFile: entry.tokenFile ?? inClusterDefault('token') };
  for (const [setting, field, file] of [['ISSUER_CA_FILE', 'caFile', checked.caFile], ['ISSUER_TOKEN_FILE', 'tokenFile', checked.tokenFile], ['JWKS_FILE', 'jwksFile', jwksFile]] as const) {
    if (file !== undefined && !existsSync(file)) throw new ConfigError(`${name(setting, field)} ${file} does not exist`);
  }
  return checked;
}

function readIssuersFile(path: string, allowHttp: boolean): TrustedIssuer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`ISSUERS_FILE ${path} is not readable JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError(`ISSUERS_FILE ${path} must hold a non-empty JSON array of issuers`);
  return parsed.map((raw: unknown, index) => {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const text = (field: string, required: boolean): string | undefined => {
      const value = entry[field];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`ISSUERS_FILE entry ${index}: "${field}" must be a non-empty string`);
      return value.trim();
    };
    const unknown = Object.keys(entry).filter((k) => !['issuer', 'audience', 'jwksUri', 'jwksFile', 'caFile', 'tokenFile'].includes(k));
    if (unknown.length > 0) throw new ConfigError(`ISSUERS_FILE entry ${index}: unknown field ${JSON.stringify(unknown[0])}`);
    return {
      issuer: text('issuer', true) as string,
      audience: text('audience', true) as string,
      jwksUri: text('jwksUri', false),
      jwksFile: text('jwksFile', false),
      caFile: text('caFile', false),
      tokenFile: text('tokenFile', false),
      allowHttp,
    };
  });
}

function integerSetting(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new ConfigError(`${name} ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`);
  return value;
}

export function parseBoolean(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(`${name} ${JSON.stringify(value)} is not true or false`);
}

/** URLs we fetch keys from must be https unless http was allowed explicitly. */
function checkUrl(name: string, value: string, httpAllowed: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && httpAllowed)) return;
  const hint = url.protocol === 'http:' ? ' (set ALLOW_HTTP_ISSUER=true for local development)' : '';
  throw new ConfigError(`${name} ${JSON.stringify(value)} must be an https:// URL${hint}`);
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
