import { readFileSync } from 'node:fs';
import type { JwsAlgorithm } from '../algorithms.js';
import { KeySet, type VerificationKey } from './key-set.js';
import type { KeySource, KeySourceStatus } from './key-source.js';

/**
 * Keys fixed at start-up: a JWKS document, or a JWKS file for clusters whose issuer the server cannot
 * reach (`kubectl get --raw /openid/v1/jwks > jwks.json`). No network.
 */
export function staticJwks(jwks: unknown): KeySource {
  const keys = KeySet.fromJwks(jwks);
  const loadedAt = new Date();
  const status: KeySourceStatus = { hasKeys: true, kids: keys.kids, loadedAt, lastError: undefined };
  return {
    getKey: (kid: string | undefined, alg: JwsAlgorithm): Promise<VerificationKey | undefined> => Promise.resolve(keys.find(kid, alg)),
    heldKey: (kid: string | undefined, alg: JwsAlgorithm) => keys.find(kid, alg),
    isTrusted: (key: VerificationKey) => keys.has(key),
    load: () => Promise.resolve(),
    status: () => status,
    close: () => {},
  };
}

/** Reads a JWKS file once; throws with the path and the reason when it is missing or not a usable JWKS. */
export function jwksFile(path: string): KeySource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read JWKS file ${path}: ${(error as Error).message}`);
  }
  try {
    return staticJwks(JSON.parse(text));
  } catch (error) {
    throw new Error(`JWKS file ${path} is not usable: ${(error as Error).message}`);
  }
}
