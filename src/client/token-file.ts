import { type BigIntStats, readFileSync, statSync } from 'node:fs';

export type TokenFileProblem = 'unreadable' | 'empty' | 'not_a_jwt';

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
  constructor(
    readonly problem: TokenFileProblem,
    readonly path: string,
    detail: string,
  ) {
    super(`token file ${path}: ${detail}`);
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * A projected service-account token file. Every read stats the path (following kubelet's `..data`
 * symlinks) and re-reads the file when its identity, size or times changed, so a rotated token is
 * used from the very next call while an unchanged one costs a single stat.
 *
 * The stat is synchronous on purpose: kubelet's projected volume is a tmpfs, where a stat takes about a
 * microsecond, while an asynchronous one pays a thread-pool round trip on every call.
 */
export class ProjectedTokenFile {
  private cached: { stats: BigIntStats; token: string } | undefined;

  constructor(readonly path: string) {}

  read(): Promise<string> {
    try {
      return Promise.resolve(this.readNow());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The current token; throws TokenFileError. */
  readNow(): string {
    let stats: BigIntStats;
    try {
      stats = statSync(this.path, { bigint: true });
    } catch (error) {
      this.cached = undefined;
      throw new TokenFileError('unreadable', this.path, describeFsError(error));
    }
    if (this.cached !== undefined && sameVersion(this.cached.stats, stats)) return this.cached.token;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      throw new TokenFileError('unreadable', this.path, describeFsError(error));
    }
    const token = text.trim();
    if (token === '') throw new TokenFileError('empty', this.path, 'file is empty');
    if (!JWT_SHAPE.test(token)) throw new TokenFileError('not_a_jwt', this.path, 'content is not a JWT (header.payload.signature)');
    this.cached = { stats, token };
    return token;
  }
}

function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** `exp` of a JWT in seconds, read without verification (for client-side expiry warnings only). */
export function unverifiedExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist (is the projected serviceAccountToken volume mounted?)';
  if (code === 'EACCES') return 'permission denied (check the pod securityContext: runAsUser/fsGroup)';
  if (code === 'EISDIR') return 'is a directory, not the token file';
  return (error as Error).message;
}
