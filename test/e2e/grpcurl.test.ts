import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

const run = promisify(execFile);

/** grpcurl from $GRPCURL, else $GOPATH/bin (where `go install` puts it, as .ci/run does). */
async function findGrpcurl(): Promise<string> {
  if (process.env.GRPCURL) return process.env.GRPCURL;
  const { stdout } = await run('go', ['env', 'GOPATH']);
  const path = join(stdout.trim(), 'bin', 'grpcurl');
  if (!existsSync(path)) throw new Error(`grpcurl not found at ${path}: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest`);
  return path;
}

let grpcurl: string;
let h: Harness;

beforeAll(async () => {
  grpcurl = await findGrpcurl();
  h = await startHarness();
});
afterAll(() => h.close());

async function call(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(grpcurl, ['-plaintext', ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('grpcurl against the server, by reflection only', () => {
  it('lists the services', async () => {
    const { code, stdout } = await call(h.address, 'list');
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['grpc.health.v1.Health', 'wid.demo.v1.HelloService']));
  });

  it('describes the service and a message with a well-known type', async () => {
    const service = await call(h.address, 'describe', 'wid.demo.v1.HelloService');
    expect(service.stdout).toContain('rpc StreamHello ( .wid.demo.v1.StreamHelloRequest ) returns ( stream .wid.demo.v1.StreamHelloResponse );');
    const message = await call(h.address, 'describe', 'wid.demo.v1.WhoAmIResponse');
    expect(message.stdout).toContain('.google.protobuf.Timestamp expires_at = 10;');
  });

  it('calls the health check without a token', async () => {
    const { stdout } = await call(h.address, 'grpc.health.v1.Health/Check');
    expect(JSON.parse(stdout)).toEqual({ status: 'SERVING' });
  });

  it('calls the public method without a token', async () => {
    const { stdout } = await call('-d', '{"name":"grpcurl"}', h.address, 'wid.demo.v1.HelloService/PublicHello');
    expect(JSON.parse(stdout)).toEqual({ message: 'Hello grpcurl, from the public API' });
  });

  it('is refused the private method without a token', async () => {
    const { code, stderr } = await call('-d', '{"name":"grpcurl"}', h.address, 'wid.demo.v1.HelloService/PrivateHello');
    expect(code).not.toBe(0);
    expect(stderr).toContain('Code: Unauthenticated');
  });

  it('calls the private method and WhoAmI with a minted token', async () => {
    const auth = `authorization: Bearer ${h.token()}`;
    const hello = await call('-H', auth, '-d', '{"name":"grpcurl"}', h.address, 'wid.demo.v1.HelloService/PrivateHello');
    expect(JSON.parse(hello.stdout)).toEqual({ message: 'Hello grpcurl, from the private API: you are service account gke-sa in namespace id-namespace' });
    const who = await call('-H', auth, h.address, 'wid.demo.v1.HelloService/WhoAmI');
    expect(JSON.parse(who.stdout)).toMatchObject({ subject: 'system:serviceaccount:id-namespace:gke-sa', audiences: ['wid-test'] });
  });

  it('streams with a minted token', async () => {
    const { stdout } = await call('-H', `authorization: Bearer ${h.token()}`, '-d', '{"name":"s","count":3,"interval_ms":5}', h.address, 'wid.demo.v1.HelloService/StreamHello');
    const messages = stdout.split(/\n(?=\{)/).map((chunk) => JSON.parse(chunk) as { sequence: number });
    expect(messages.map((m) => m.sequence)).toEqual([1, 2, 3]);
  });
});
