import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DESCRIPTOR_SET } from '../../src/gen/descriptor-set.js';
import { mintServiceAccountToken } from '../../src/dev/service-account-token.js';
import { generateSigningKey, type SigningAlgorithm, type SigningKey } from '../../src/dev/signing-key.js';

export const ISSUER = 'https://bench.issuer.invalid';
export const AUDIENCE = 'wid-bench';

/** A signing key, its JWKS on disk, and a token minted the way kube-apiserver mints them. */
export interface Fixture {
  readonly dir: string;
  readonly key: SigningKey;
  readonly jwksFile: string;
  /** A token file as kubelet writes it (here: a plain file). */
  readonly tokenFile: string;
  readonly token: string;
  /** The service's FileDescriptorSet, for ghz. */
  readonly protoset: string;
  mint(serviceAccount: string): string;
}

export function createFixture(alg: SigningAlgorithm = 'RS256'): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'wid-bench-'));
  const key = generateSigningKey(alg);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [key.publicJwk] }));
  const mint = (serviceAccount: string): string =>
    mintServiceAccountToken(key, { issuer: ISSUER, audiences: [AUDIENCE], namespace: 'bench', serviceAccount, expirationSeconds: 3600 });
  const token = mint('load-generator');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const protoset = join(dir, 'wid.protoset');
  writeFileSync(protoset, DESCRIPTOR_SET);
  return { dir, key, jwksFile, tokenFile, token, protoset, mint };
}
