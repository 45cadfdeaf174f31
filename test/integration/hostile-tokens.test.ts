import { status } from '@grpc/grpc-js';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signingKeyFrom } from '../../src/dev/signing-key.js';
import { signCompact } from '../../src/dev/service-account-token.js';
import { AUDIENCE, bearer, recordingLogger, startHarness, unary, type Harness } from '../support/harness.js';
import { Metadata } from '@grpc/grpc-js';
import fc from 'fast-check';

// Every way we know to forge, bend or overload a token, thrown at a live server. Each must be refused
// with UNAUTHENTICATED, no header URL may be fetched, and no token may reach the log.
let h: Harness;
let trap: Server;
let trapUrl: string;
const trapHits: string[] = [];
const log = recordingLogger();
const attacker = generateSigningKey();

beforeAll(async () => {
  h = await startHarness({}, log);
  trap = createServer((req, res) => {
    trapHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attacker.publicJwk] }));
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await h.close();
  await new Promise((resolve) => trap.close(resolve));
});

const now = () => Math.floor(Date.now() / 1000);
const payload = (overrides: Record<string, unknown> = {}) => ({ ...JSON.parse(Buffer.from(h.token().split('.')[1] ?? '', 'base64url').toString()), ...overrides }) as Record<string, unknown>;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const signWithIssuer = (header: object, body: object) => signCompact(h.issuer.signingKey, header, body);

const corpus: [string, () => string | Promise<string>][] = [
  ['alg none, empty signature', () => new UnsecuredJWT(payload()).encode()],
  ['alg none with a signature', () => `${b64({ alg: 'none', kid: h.issuer.signingKey.kid })}.${b64(payload())}.${b64('sig')}`],
  ['alg None (case variant)', () => `${b64({ alg: 'None' })}.${b64(payload())}.${b64('sig')}`],
  ['HS256 keyed with the issuer public key PEM', () => new SignJWT(payload()).setProtectedHeader({ alg: 'HS256', kid: h.issuer.signingKey.kid }).sign(Buffer.from(JSON.stringify(h.issuer.signingKey.publicJwk)))],
  ['RS256 header on an EC signature', () => signCompact(generateSigningKey('ES256'), { alg: 'RS256', kid: h.issuer.signingKey.kid }, payload())],
  ['ES256 header with the RSA kid', () => `${b64({ alg: 'ES256', kid: h.issuer.signingKey.kid })}.${h.token().split('.').slice(1).join('.')}`],
  ['another key, same kid', () => signCompact(attacker, { alg: 'RS256', kid: h.issuer.signingKey.kid }, payload())],
  ['unknown kid', () => signCompact(attacker, { alg: 'RS256', kid: attacker.kid }, payload())],
  ['tampered payload', () => { const [hd, , sig] = h.token().split('.'); return `${hd}.${b64(payload({ sub: 'system:serviceaccount:kube-system:admin' }))}.${sig}`; }],
  ['jku to an attacker JWKS', () => signCompact(attacker, { alg: 'RS256', kid: attacker.kid, jku: `${trapUrl}/jku` }, payload())],
  ['x5u to an attacker URL', () => signCompact(attacker, { alg: 'RS256', kid: attacker.kid, x5u: `${trapUrl}/x5u` }, payload())],
  ['embedded jwk of the attacker', () => signCompact(attacker, { alg: 'RS256', jwk: attacker.publicJwk }, payload())],
  ['embedded x5c', () => signCompact(attacker, { alg: 'RS256', x5c: [b64('not a cert')] }, payload())],
  ['crit extension', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid, crit: ['b64'], b64: false }, payload())],
  ['another issuer', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, payload({ iss: 'https://evil.example' }))],
  ['issuer with a trailing slash', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, payload({ iss: `${h.issuer.issuer}/` }))],
  ['another audience', () => h.token({ audiences: ['other'] })],
  ...['wid-test ', 'WID-TEST', 'wid-test/', 'wid-tes', 'wid-testx', ' wid-test'].map((aud): [string, () => string] => [`look-alike audience ${JSON.stringify(aud)}`, () => h.token({ audiences: [aud] })]),
  ['aud as a nested array', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, payload({ aud: [[AUDIENCE]] }))],
  ['expired', () => h.token({ issuedAt: now() - 7200, expirationSeconds: 3600 })],
  ['not yet valid', () => h.token({ issuedAt: now() + 600 })],
  ['missing exp', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, { ...payload(), exp: undefined })],
  ['exp as a string', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, payload({ exp: String(now() + 600) }))],
  ['lifetime of a year', () => h.token({ expirationSeconds: 365 * 86_400 })],
  ['legacy secret-based token', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, { iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:id-namespace:gke-sa', 'kubernetes.io/serviceaccount/namespace': 'id-namespace' })],
  ['no kubernetes.io claims', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, { ...payload(), 'kubernetes.io': undefined })],
  ['malformed base64', () => `${h.token().slice(0, 10)}*${h.token().slice(11)}`],
  ['header not JSON', () => `${b64('{"alg":"RS256"')}.${b64(payload())}.${b64('x')}`],
  ['payload not JSON', () => signWithIssuer({ alg: 'RS256', kid: h.issuer.signingKey.kid }, payload()).replace(/\.[^.]+\./, `.${b64('[1,2')}.`)],
  ['four parts', () => `${h.token()}.extra`],
  ['oversized token', () => `${h.token()}${'A'.repeat(20_000)}`],
];

describe('hostile tokens against a live server', () => {
  it.each(corpus)('refuses %s', async (_name, make) => {
    const result = await unary(h.client.privateHello, h.client, { name: '' }, bearer(await make()));
    expect(result).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });

  it.each(['Basic dXNlcjpwYXNz', 'Token abc', 'Bearer', 'Bearer  a b', 'bearer: x.y.z', ''])('refuses the authorization value %j', async (value) => {
    const metadata = new Metadata();
    metadata.set('authorization', value);
    expect(await unary(h.client.privateHello, h.client, { name: '' }, metadata)).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });

  it('refuses tokens signed by a published key that is too weak', async () => {
    const weak = signingKeyFrom(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, 'RS256');
    h.issuer.rotateKey(weak);
    await h.keys.reload();
    expect(await unary(h.client.privateHello, h.client, { name: '' }, bearer(h.token()))).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
  });

  it('answers random bearer values promptly with UNAUTHENTICATED (property-based, through the server)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{1,2000}$/), async (token) => {
        const result = await unary(h.client.privateHello, h.client, { name: '' }, bearer(token));
        expect(result).toMatchObject({ ok: false, code: status.UNAUTHENTICATED });
      }),
      { numRuns: 300 },
    );
  });

  it('never fetched a URL named in a token header', () => {
    expect(trapHits).toEqual([]);
  });

  it('survives metadata far beyond any token size, and still serves', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${'A'.repeat(200_000)}`);
    const result = await unary(h.client.privateHello, h.client, { name: '' }, metadata);
    expect(result.ok).toBe(false);
    expect(await unary(h.client.publicHello, h.client, { name: 'still here' })).toMatchObject({ ok: true });
  });

  it('logged every refusal without the token', () => {
    const rejected = log.lines.filter((line) => line.includes('rpc rejected'));
    expect(rejected.length).toBeGreaterThanOrEqual(corpus.length);
    expect(log.lines.filter((line) => /eyJ[A-Za-z0-9_-]{8,}/.test(line))).toEqual([]);
  });
});
