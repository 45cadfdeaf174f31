import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const buf = resolve('node_modules/.bin/buf');
const baseline = resolve('proto/baseline.json');

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wid-contract-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `buf breaking` of a copy of proto/, edited by `edit`, against the committed baseline image. */
async function breakingAgainstBaseline(name: string, edit: (hello: string) => string): Promise<{ code: number; output: string }> {
  const copy = join(dir, name);
  await cp('proto', join(copy, 'proto'), { recursive: true });
  await cp('buf.yaml', join(copy, 'buf.yaml'));
  const hello = join(copy, 'proto/wid/demo/v1/hello.proto');
  await writeFile(hello, edit(await readFile(hello, 'utf8')));
  try {
    await exec(buf, ['breaking', '--against', baseline], { cwd: copy });
    return { code: 0, output: '' };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: `${e.stdout}${e.stderr}` };
  }
}

describe('the proto contract is guarded by buf breaking against proto/baseline.json', () => {
  it('passes for the protos as they are, and for an added field', async () => {
    expect(await breakingAgainstBaseline('same', (s) => s)).toEqual({ code: 0, output: '' });
    const added = await breakingAgainstBaseline('added', (s) => s.replace('  string message = 2;\n}', '  string message = 2;\n  string note = 3;\n}'));
    expect(added.code).toBe(0);
  });

  it('fails for a changed field type, naming the field', async () => {
    const changed = await breakingAgainstBaseline('changed', (s) => s.replace('uint32 sequence = 1;', 'uint64 sequence = 1;'));
    expect(changed.code).not.toBe(0);
    expect(changed.output).toContain('"sequence"');
  });

  it('fails for a removed RPC', async () => {
    const removed = await breakingAgainstBaseline('removed', (s) => s.replace(/\n\s*\/\/[^\n]*\n\s*rpc WhoAmI\(WhoAmIRequest\) returns \(WhoAmIResponse\);/, ''));
    expect(removed.code).not.toBe(0);
    expect(removed.output).toContain('WhoAmI');
  });
});
