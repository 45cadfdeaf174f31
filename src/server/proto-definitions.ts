import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { fileURLToPath } from 'node:url';

/** The repository's proto/ folder, from src/server or dist/server alike. */
export const PROTO_ROOT = fileURLToPath(new URL('../../proto', import.meta.url));

/**
 * The service descriptors the server publishes by reflection and reads method options from. Loaded from
 * the .proto sources so options such as (wid.auth.v1.public) are read from the contract itself.
 */
export function loadServiceDefinitions(): PackageDefinition {
  return loadSync(['wid/demo/v1/hello.proto', healthProtoPath], { includeDirs: [PROTO_ROOT], keepCase: true });
}
