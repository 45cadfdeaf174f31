import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gkeMetadataIdentitySource, MetadataServerError } from '../../src/client/index.js';
import { generateSigningKey } from '../../src/dev/signing-key.js';
import { signCompact } from '../../src/dev/service-account-token.js';

// A fake GKE metadata server on loopback: answers only with Metadata-Flavor: Google, like the real one.
const key = generateSigningKey();
let server: Server;
let host: string;
const requests: string[] = [];
let lifetimeSeconds = 3600;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://metadata');
    if (req.headers['metadata-flavor'] !== 'Google') return void res.writeHead(403).end('Missing Metadata-Flavor:Google header.');
    if (url.pathname !== '/computeMetadata/v1/instance/service-accounts/default/identity') return void res.writeHead(404).end();
    const now = Math.floor(Date.now() / 1000);
    res.writeHead(200, { 'content-type': 'text/html', 'metadata-flavor': 'Google' });
    res.end(signCompact(key, { alg: 'RS256', kid: key.kid, typ: 'JWT' }, { aud: url.searchParams.get('audience'), exp: now + lifetimeSeconds, iat: now, iss: 'https://accounts.google.com', sub: '1234' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('GKE metadata server identity', () => {
  it('asks for a full ID token for the audience, and caches it until shortly before exp', async () => {
    requests.length = 0;
    lifetimeSeconds = 3600;
    let now = Date.now();
    const source = gkeMetadataIdentitySource({ audience: 'hello.example', host, now: () => now });
    const [first, second] = await Promise.all([source.token(), source.token()]);
    expect(first).toBe(second);
    expect(await source.token()).toBe(first);
    expect(requests).toEqual(['/computeMetadata/v1/instance/service-accounts/default/identity?audience=hello.example&format=full']);
    now += (3600 - 299) * 1000; // inside the 300 s refresh window
    await source.token();
    expect(requests).toHaveLength(2);
  });

  it('reports an unreachable or refusing metadata server clearly', async () => {
    const down = gkeMetadataIdentitySource({ audience: 'x', host: '127.0.0.1:1', timeoutMs: 1_000 });
    await expect(down.token()).rejects.toBeInstanceOf(MetadataServerError);
    const wrongPath = gkeMetadataIdentitySource({ audience: 'x', host: `${host}/nope` });
    await expect(wrongPath.token()).rejects.toThrow(/HTTP 404/);
  });
});
