import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectedTokenWriter } from '../../src/dev/projected-token-writer.js';
import { startHarness, type Harness } from '../support/harness.js';
import { makeTestPki } from '../support/tls.js';

/**
 * Each example client (examples/<lang>) is built from the stubs `scripts/generate-stubs.sh` wrote into
 * gen/<lang>, then run against the TypeScript server over TLS, with a token file kubelet-style. The
 * client prints one line per call; the test rotates the token once it has seen `WhoAmI:`.
 */
interface Language {
  readonly name: string;
  /** Generated stubs the client is built from. */
  readonly stubs: string;
  readonly build?: readonly [string, string[]];
  readonly run: readonly [string, string[]];
}

const LANGUAGES: readonly Language[] = [
  {
    name: 'Go',
    stubs: 'gen/go/wid/demo/v1/hello_grpc.pb.go',
    build: ['go', ['build', '-o', '.tools/interop/go-client', './examples/go']],
    run: ['.tools/interop/go-client', []],
  },
  { name: 'Python', stubs: 'gen/python/wid/demo/v1/hello_pb2_grpc.py', run: ['.tools/venv/bin/python', ['examples/python/client.py']] },
  {
    name: 'Java',
    stubs: 'gen/java/io/github/grpcworkloadidentity/wid/demo/v1/HelloServiceGrpc.java',
    build: ['mvn', ['-q', '-B', '-Dstyle.color=never', '-f', 'examples/java/pom.xml', 'clean', 'package']],
    run: ['java', ['-cp', 'examples/java/target/classes:examples/java/target/lib/*', 'io.github.grpcworkloadidentity.examples.HelloClient']],
  },
];

let dir: string;
let h: Harness;
let caFile: string;
let writer: ProjectedTokenWriter;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wid-interop-'));
  const pki = await makeTestPki(dir);
  caFile = pki.caFile;
  h = await startHarness({ tlsCert: pki.certFile, tlsKey: pki.keyFile });
  writer = new ProjectedTokenWriter(join(dir, 'tokens'), 'gke-sa');
}, 60_000);
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs a command; rejects with its output when it fails. */
function run(language: string, step: string, [command, args]: readonly [string, string[]], env: NodeJS.ProcessEnv = {}, onLine: (line: string) => void = () => {}, timeoutMs = 600_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) {
        lines.push(line);
        onLine(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => reject(new Error(`${language} ${step}: cannot run ${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending !== '') lines.push(pending);
      if (code === 0) resolve(lines);
      else reject(new Error(`${language} ${step} failed (${signal ?? `exit ${code}`}):\n${stderr.trim()}\nstdout:\n${lines.join('\n')}`));
    });
  });
}

describe.each(LANGUAGES)('$name client, stubs generated from proto/', (language) => {
  const output = new Map<string, string>();
  const rotatedTo = `rotated-${language.name.toLowerCase()}`;

  beforeAll(async () => {
    if (!existsSync(language.stubs)) throw new Error(`${language.name}: ${language.stubs} is missing: run \`npm run generate:stubs\` (npm run test:interop does)`);
    if (language.build) await run(language.name, 'build', language.build);
    await writer.write(h.token());
    const env = { SERVICE_ENDPOINT: `127.0.0.1:${h.server.port}`, TOKEN_FILE: writer.tokenPath, CA_FILE: caFile, WAIT_FOR_ROTATION: 'true' };
    const rotate = (line: string): void => {
      // kubelet-style: a new ..data directory swapped in under the same path.
      if (line.startsWith('WhoAmI: ')) void writer.write(h.token({ serviceAccount: rotatedTo }));
    };
    for (const line of await run(language.name, 'client', language.run, env, rotate, 60_000)) {
      const colon = line.indexOf(': ');
      if (colon > 0) output.set(line.slice(0, colon), line.slice(colon + 2));
    }
  });

  it('reads the (wid.auth.v1.public) option from its generated descriptors', () => {
    expect(output.get('options')).toBe('PublicHello public=true, PrivateHello public=false');
  });

  it('PublicHello without a token: OK', () => {
    expect(output.get('PublicHello')).toBe(`OK Hello ${language.name.toLowerCase()}, from the public API`);
  });

  it('PrivateHello without a token: UNAUTHENTICATED', () => {
    expect(output.get('PrivateHello without token')).toBe('UNAUTHENTICATED');
  });

  it('PrivateHello with the projected token: OK, as the pod service account', () => {
    expect(output.get('PrivateHello')).toBe(`OK Hello ${language.name.toLowerCase()}, from the private API: you are service account gke-sa in namespace id-namespace`);
  });

  it('StreamHello with the token: every message, in order', () => {
    expect(output.get('StreamHello')).toBe('3 messages (1,2,3)');
  });

  it('reads the token file per call: the rotated token is used without a restart', () => {
    expect(output.get('WhoAmI')).toBe('system:serviceaccount:id-namespace:gke-sa');
    expect(output.get('WhoAmI after rotation')).toBe(`system:serviceaccount:id-namespace:${rotatedTo}`);
  });
});
