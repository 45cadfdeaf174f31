import { join, resolve } from 'node:path';

/** Where the local demo keeps its issuer key and token files: `WID_DEV_DIR`, default `.wid-dev/`. */
export function devStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.WID_DEV_DIR ?? '.wid-dev');
}

export const devPaths = (dir: string) => ({
  issuerKey: join(dir, 'issuer-key.pem'),
  issuerInfo: join(dir, 'issuer.json'),
  tokenDir: join(dir, 'tokens'),
});

/** The demo's defaults, shared by `npm start`, `npm run mint` and the README. */
export const DEMO = {
  issuerPort: 8089,
  serverPort: 50051,
  audience: 'wid-demo',
  namespace: 'id-namespace',
  serviceAccount: 'gke-sa',
} as const;

export interface IssuerInfo {
  issuer: string;
  audience: string;
}
