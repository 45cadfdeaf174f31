import { mkdir, readlink, rename, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';

/**
 * Writes a token the way kubelet's AtomicWriter fills a projected volume: the file goes into a fresh
 * `..<timestamp>` directory, `..data_tmp` is renamed over `..data` (the atomic step), `<file>` links to
 * `..data/<file>`, and the previous directory is removed. Readers that open the path see whole tokens.
 */
export class ProjectedTokenWriter {
  constructor(
    readonly directory: string,
    readonly fileName = 'token',
    /** 0644 is kubelet's mode without runAsUser/fsGroup. */
    private readonly mode = 0o644,
  ) {}

  get tokenPath(): string {
    return join(this.directory, this.fileName);
  }

  async write(token: string): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const previous = await readlink(join(this.directory, '..data')).catch(() => undefined);
    const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*$/, '');
    const fresh = `..${stamp}.${String(randomInt(1e9)).padStart(9, '0')}`;
    await mkdir(join(this.directory, fresh));
    await writeFile(join(this.directory, fresh, this.fileName), token, { mode: this.mode });
    await rm(join(this.directory, '..data_tmp'), { force: true });
    await symlink(fresh, join(this.directory, '..data_tmp'));
    await rename(join(this.directory, '..data_tmp'), join(this.directory, '..data'));
    const link = await lstat(this.tokenPath).catch(() => undefined);
    if (link === undefined) await symlink(join('..data', this.fileName), this.tokenPath);
    if (previous !== undefined && previous !== fresh) await rm(join(this.directory, previous), { recursive: true, force: true });
  }
}
