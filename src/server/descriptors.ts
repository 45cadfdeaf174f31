import type { PackageDefinition } from '@grpc/proto-loader';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { DESCRIPTOR_SET } from '../gen/descriptor-set.js';

/** The files of the embedded descriptor set (buf's exact output for proto/ and grpc.health.v1). */
export function embeddedFileDescriptors(): FileDescriptorProto[] {
  return fromBinary(FileDescriptorSetSchema, DESCRIPTOR_SET).file;
}

/**
 * A package definition for @grpc/reflection holding buf's own descriptors. Descriptors that proto-loader
 * rebuilds from .proto text lose well-known-type imports and map entry names, which breaks grpcurl.
 */
export function reflectionDefinition(files: readonly FileDescriptorProto[]): PackageDefinition {
  return {
    'descriptor-set': {
      format: 'Protocol Buffer 3 DescriptorProto',
      type: {},
      // Only the descriptors are read by the reflection service; nothing is ever encoded with this entry.
      serialize: () => Buffer.alloc(0),
      deserialize: () => ({}),
      fileDescriptorProtos: files.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file))),
    },
  };
}
