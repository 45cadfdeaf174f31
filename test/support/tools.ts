import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const exec = promisify(execFile);

/** A command-line tool the test needs; fails with the install step when it is missing. */
export async function requireTool(name: string, install: string): Promise<string> {
  try {
    const { stdout } = await exec('sh', ['-c', `command -v ${name}`]);
    return stdout.trim();
  } catch {
    throw new Error(`${name} is not on PATH: ${install} (.ci/run installs it)`);
  }
}
