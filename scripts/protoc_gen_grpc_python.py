"""gRPC's Python generator as a protoc plugin, for `buf generate` (buf.gen.python.yaml).

grpcio-tools builds that generator into its own protoc (`--grpc_python_out`) and ships no plugin
executable, so this reads the CodeGeneratorRequest buf sends, runs grpcio-tools' protoc on the same
descriptors, and answers with the files it wrote.
"""

import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL)
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = Path(tmp, "input.binpb")
        descriptors.write_bytes(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = Path(tmp, "out")
        out.mkdir()
        options = f"{request.parameter}:" if request.parameter else ""
        status = protoc.main(["protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={options}{out}", *request.file_to_generate])
        if status != 0:
            response.error = f"grpcio-tools protoc exited with status {status}"
        else:
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                response.file.add(name=path.relative_to(out).as_posix(), content=path.read_text(encoding="utf-8"))
    sys.stdout.buffer.write(response.SerializeToString())


if __name__ == "__main__":
    main()
