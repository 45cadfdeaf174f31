import { cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from './tools.js';

/**
 * Runs a Dockerfile's COPY, RUN and WORKDIR steps in plain folders, one per stage, with no Docker: what a
 * stage copies from the build context (filtered by .dockerignore) or from an earlier stage, and the
 * commands it runs. Base images are not reproduced; the machine's Node.js stands in for theirs.
 */
export async function emulateDockerfile(contextDir: string, log: (line: string) => void = () => {}): Promise<{ finalStage: string; cmd: string[]; cleanup: () => Promise<void> }> {
  const instructions = parseDockerfile(await readFile(join(contextDir, 'Dockerfile'), 'utf8'));
  const context = await filteredContext(contextDir);
  const root = await mkdtemp(join(tmpdir(), 'wid-image-'));
  const stages = new Map<string, string>();
  let current = '';
  let workdir = '/';
  let cmd: string[] = [];
  for (const { op, args } of instructions) {
    if (op === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${stages.size}`;
      current = join(root, name);
      await mkdir(current, { recursive: true });
      stages.set(name, current);
      workdir = '/';
      log(`stage ${name}`);
    } else if (op === 'WORKDIR') {
      workdir = args.trim();
    } else if (op === 'COPY') {
      const words = args.trim().split(/\s+/);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      const dest = paths.pop() ?? '.';
      for (const source of paths) {
        const base = from !== undefined ? stages.get(from) : context;
        if (base === undefined) throw new Error(`COPY --from=${from}: no such stage`);
        const src = join(base, source);
        const target = dest.endsWith('/') ? join(current, workdir, dest, source.split('/').pop() ?? '') : join(current, workdir, dest);
        await cp(src, target, { recursive: true });
      }
    } else if (op === 'RUN') {
      log(`RUN ${args}`);
      await exec('sh', ['-c', args], { cwd: join(current, workdir), maxBuffer: 64 * 1024 * 1024 });
    } else if (op === 'CMD') {
      cmd = JSON.parse(args) as string[];
    }
  }
  const cleanup = async (): Promise<void> => {
    await rm(root, { recursive: true, force: true });
    await rm(context, { recursive: true, force: true });
  };
  return { finalStage: join(current, workdir), cmd, cleanup };
}

function parseDockerfile(text: string): { op: string; args: string }[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args = new Map<string, string>();
  return logical.map((line) => {
    const [op = '', ...rest] = line.split(/\s+/);
    let value = rest.join(' ');
    if (op.toUpperCase() === 'ARG') {
      const [k, v = ''] = value.split('=');
      if (k !== undefined) args.set(k, v);
    }
    value = value.replace(/\$\{(\w+)\}/g, (_m, k: string) => args.get(k) ?? '');
    return { op: op.toUpperCase(), args: value };
  });
}

/** The build context as Docker sends it: only the `*` + `!path` patterns this repo's .dockerignore uses. */
async function filteredContext(dir: string): Promise<string> {
  const patterns = (await readFile(join(dir, '.dockerignore'), 'utf8')).split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (patterns[0] !== '*' || !patterns.slice(1).every((p) => p.startsWith('!'))) throw new Error('.dockerignore: only "*" followed by "!path" lines are emulated');
  const allowed = new Set(patterns.slice(1).map((p) => p.slice(1).replace(/\/$/, '')));
  const context = await mkdtemp(join(tmpdir(), 'wid-context-'));
  for (const entry of await readdir(dir)) if (allowed.has(entry)) await cp(join(dir, entry), join(context, entry), { recursive: true });
  return context;
}
