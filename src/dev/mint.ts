import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO, devPaths, devStateDir, type IssuerInfo } from './dev-state.js';
import { mintServiceAccountToken } from './service-account-token.js';
import { loadOrCreateSigningKey } from './signing-key.js';

// Prints a projected service-account token signed by the local demo issuer, for grpcurl:
//   grpcurl -plaintext -H "authorization: Bearer $(npm run -s mint)" localhost:50051 wid.demo.v1.HelloService/WhoAmI
const usage = `Usage: npm run -s mint -- [--namespace NS] [--service-account SA] [--audience AUD] [--expiration-seconds N]
Signs with the key of the local issuer that \`npm start\` runs (state in ${devStateDir()}).`;

try {
  const { values } = parseArgs({
    options: {
      namespace: { type: 'string', default: DEMO.namespace },
      'service-account': { type: 'string', default: DEMO.serviceAccount },
      audience: { type: 'string' },
      'expiration-seconds': { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const paths = devPaths(devStateDir());
  let info: IssuerInfo;
  try {
    info = JSON.parse(readFileSync(paths.issuerInfo, 'utf8')) as IssuerInfo;
  } catch {
    throw new Error(`no local issuer state in ${paths.issuerInfo}: run \`npm start\` first`);
  }
  const expirationSeconds = Number(values['expiration-seconds']);
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < 1) throw new Error('--expiration-seconds must be a positive whole number');
  const token = mintServiceAccountToken(loadOrCreateSigningKey(paths.issuerKey), {
    issuer: info.issuer,
    audiences: [values.audience ?? info.audience],
    namespace: values.namespace,
    serviceAccount: values['service-account'],
    expirationSeconds,
  });
  process.stdout.write(`${token}\n`);
} catch (error) {
  console.error(`mint: ${(error as Error).message}\n${usage}`);
  process.exit(2);
}
