import type { PackageDefinition } from '@grpc/proto-loader';
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';

/** Services every gRPC server needs reachable without a token: Kubernetes probes and grpcurl use them. */
export const BUILT_IN_PUBLIC_SERVICES = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

/** The method option that marks a method public (proto/wid/auth/v1/options.proto), and its field number. */
export const PUBLIC_OPTION = '(wid.auth.v1.public)';
export const PUBLIC_OPTION_NUMBER = 51051;

/** Decides which methods skip authentication. Everything not named is authenticated. */
export interface PublicMethods {
  isPublic(methodPath: string): boolean;
  /** The public method paths, for start-up logs and tests. */
  readonly paths: readonly string[];
}

/** Public = the built-in services plus the given method paths (`/package.Service/Method`). */
export function publicMethods(paths: Iterable<string> = []): PublicMethods {
  const exact = new Set(paths);
  const services = BUILT_IN_PUBLIC_SERVICES.map((service) => `/${service}/`);
  return {
    isPublic: (path) => exact.has(path) || services.some((prefix) => path.startsWith(prefix)),
    paths: [...exact],
  };
}

/** Method paths whose proto declares `option (wid.auth.v1.public) = true`, from a proto-loader definition. */
export function publicMethodsFromProto(definition: PackageDefinition): string[] {
  const paths: string[] = [];
  for (const entry of Object.values(definition)) {
    if (!('format' in entry) && !('type' in entry)) {
      for (const method of Object.values(entry)) {
        if ((method.options as Record<string, unknown> | undefined)?.[PUBLIC_OPTION] === true) paths.push(method.path);
      }
    }
  }
  return paths.sort();
}

/** The same, from compiled descriptors (e.g. `buf build` output decoded with @bufbuild/protobuf). */
export function publicMethodsFromDescriptors(files: readonly FileDescriptorProto[]): string[] {
  const paths: string[] = [];
  for (const file of files) {
    for (const service of file.service) {
      const fullName = file.package ? `${file.package}.${service.name}` : service.name;
      for (const method of service.method) {
        // An extension unknown to the decoder stays in $unknown: field 51051, varint 1 means true.
        const flag = method.options?.$unknown?.find((field) => field.no === PUBLIC_OPTION_NUMBER);
        if (flag !== undefined && flag.data.length === 1 && flag.data[0] === 1) paths.push(`/${fullName}/${method.name}`);
      }
    }
  }
  return paths.sort();
}
