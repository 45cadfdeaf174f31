import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectedTokenWriter } from '../../src/dev/projected-token-writer.js';
import { AUDIENCE, startHarness, type Harness } from '../support/harness.js';

// The built programs (npm test builds first), run as their users run them.
const run = promisify(execFile);
let h: Harness;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'wid-programs-'));
});
afterAll(async () => {
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

describe('client program', () => {
  it('runs rounds of public, private and stream calls with one JSON line per result', async () => {
    const writer = new ProjectedTokenWriter(join(dir, 'tokens'));
    await writer.write(h.token());
    const { stdout } = await run('node', ['dist/client/main.js'], {
      env: { ...process.env, SERVICE_ENDPOINT: h.address, TOKEN_FILE: writer.tokenPath, PLAINTEXT: 'true', ROUNDS: '2', INTERVAL_MS: '50', STREAM_COUNT: '3' },
      timeout: 20_000,
    });
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const results = lines.filter((line) => line.rpc !== undefined).map((line) => `${String(line.round)} ${String(line.rpc)} ${String(line.ok)}`);
    expect(results).toEqual(['1 PublicHello true', '1 PrivateHello true', '1 StreamHello true', '2 PublicHello true', '2 PrivateHello true', '2 StreamHello true']);
    expect(lines.find((line) => line.rpc === 'StreamHello')?.message).toMatch(/^3 messages, last: .*message 3 of 3$/);
    expect(stdout).not.toContain(h.token().split('.')[0] + '.');
  });

  it('keeps going after failures and logs the status', async () => {
    const { stdout } = await run('node', ['dist/client/main.js', '--endpoint', h.address, '--token-file', join(dir, 'missing'), '--plaintext', 'true', '--rounds', '2', '--interval-ms', '10'], { timeout: 20_000 });
    const failed = stdout.split('\n').filter((line) => line.includes('"rpc":"PrivateHello"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ ok: false, code: 'UNAVAILABLE', details: expect.stringContaining(join(dir, 'missing')) });
  });

  it('stops cleanly on SIGTERM', async () => {
    const child = spawn('node', ['dist/client/main.js'], { env: { ...process.env, SERVICE_ENDPOINT: h.address, TOKEN_FILE: join(dir, 'none'), PLAINTEXT: 'true', INTERVAL_MS: '60000' } });
    let out = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"rpc":"PrivateHello"') && child.signalCode === null && !signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('client stopped');
  });
});

describe('server program', () => {
  it('stops at start with one line naming the missing setting', async () => {
    const error = (await run('node', ['dist/server/main.js'], { env: { PATH: process.env.PATH ?? '' } }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr.trim()).toBe('server: ID_ISSUER is not set: issuer URL the tokens must carry in "iss" (required, unless ISSUERS_FILE)');
  });

  it('serves, then exits 0 on SIGTERM', async () => {
    const child = spawn('node', ['dist/server/main.js', '--host', '127.0.0.1', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', ID_ISSUER: h.issuer.issuer, JWT_AUDIENCE: AUDIENCE, ALLOW_HTTP_ISSUER: 'true' },
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('serving: keys of every trusted issuer loaded')) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(err).toContain('"msg":"shutting down"');
  });
});
