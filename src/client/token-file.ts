import { readFileSync, type Stats, statSync } from 'node:fs';

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
 * A projected service-account token file. Reads stat the path (following kubelet's `..data` symlinks)
 * and re-read the file when its identity, size or times changed, so a rotated token is used from the
 * very next call while an unchanged one costs a single stat.
 *
 * The stat is synchronous on purpose: an asynchronous one pays a thread-pool round trip on every call.
 * Reads in one turn of the event loop share one stat: nothing another process does to the file can be
 * ordered between them, and under load a stat costs several microseconds.
 */
export class ProjectedTokenFile {
  private cached: { stats: Stats; token: string } | undefined;
  /** The cached token was checked against the file in this turn of the event loop. */
  private checkedThisTurn = false;

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
    if (this.checkedThisTurn && this.cached !== undefined) return this.cached.token;
    let stats: Stats;
    try {
      stats = statSync(this.path);
    } catch (error) {
      this.cached = undefined;
      throw new TokenFileError('unreadable', this.path, describeFsError(error));
    }
    if (this.cached !== undefined && sameVersion(this.cached.stats, stats)) {
      this.markChecked();
      return this.cached.token;
    }
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
    this.markChecked();
    return token;
  }

  /** Only a token known to match the file is reused within the turn; failures are looked at again. */
  private markChecked(): void {
    if (this.checkedThisTurn) return;
    this.checkedThisTurn = true;
    setImmediate(() => {
      this.checkedThisTurn = false;
    });
  }
}

/** Same file, same content as far as the file system says: kubelet's swap makes a new inode anyway. */
function sameVersion(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
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
