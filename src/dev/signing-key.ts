import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type SigningAlgorithm = 'RS256' | 'ES256';

/** A private key as kube-apiserver holds one (`--service-account-signing-key-file`). Development only. */
export interface SigningKey {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** The public half as a JWKS entry, exactly as `/openid/v1/jwks` lists it. */
  readonly publicJwk: JsonWebKey & { kid: string; alg: string; use: 'sig' };
}

export function generateSigningKey(alg: SigningAlgorithm = 'RS256'): SigningKey {
  const { privateKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return signingKeyFrom(privateKey, alg);
}

export function signingKeyFrom(privateKey: KeyObject, alg: SigningAlgorithm): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const kid = kubernetesKeyId(publicKey);
  const jwk = publicKey.export({ format: 'jwk' });
  return { alg, kid, privateKey, publicJwk: { use: 'sig', ...jwk, kid, alg } };
}

/** kube-apiserver's kid: base64url (no padding) of SHA-256 over the DER SubjectPublicKeyInfo. */
export function kubernetesKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64url');
}

/** Loads a PEM private key, or creates one (mode 0600) so minted tokens stay valid across restarts. */
export function loadOrCreateSigningKey(path: string): SigningKey {
  if (existsSync(path)) {
    const privateKey = createPrivateKey(readFileSync(path));
    return signingKeyFrom(privateKey, privateKey.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256');
  }
  const key = generateSigningKey();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, key.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return key;
}
