#!/usr/bin/env bash
# Stubs for other languages from proto/: `npm run generate:go`, `generate:python`, `generate:java`, or
# `generate:stubs` for all three. Installs each generator into .tools/ (go install, pip, Maven Central) at
# the version the language's own build pins, then runs buf with buf.gen.<lang>.yaml. Output goes to
# gen/<lang>/, which is not committed: it is made again from proto/ whenever it is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

# protoc-gen-go comes with the protobuf runtime version go.mod pins; protoc-gen-go-grpc is a module of its own.
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

say() { printf 'generate:%s: %s\n' "$1" "$2"; }
need() { command -v "$1" >/dev/null || { echo "generate: $1 is not installed; $2" >&2; exit 1; }; }

go_stubs() {
  need go "install Go (https://go.dev/dl/)"
  local protobuf
  protobuf=$(awk '$1 == "google.golang.org/protobuf" { print $2 }' go.mod)
  say go "installing protoc-gen-go $protobuf and protoc-gen-go-grpc $PROTOC_GEN_GO_GRPC_VERSION into .tools/bin"
  GOBIN="$PWD/.tools/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$protobuf"
  GOBIN="$PWD/.tools/bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
  say go "buf generate --template buf.gen.go.yaml"
  buf generate --template buf.gen.go.yaml
}

python_stubs() {
  need python3 "install Python 3.9 or later"
  if [ ! -x .tools/venv/bin/python ]; then
    say python "creating .tools/venv"
    python3 -m venv .tools/venv
  fi
  say python "installing examples/python/requirements.txt (grpcio-tools) into .tools/venv"
  .tools/venv/bin/pip install --quiet --disable-pip-version-check -r examples/python/requirements.txt
  say python "buf generate --template buf.gen.python.yaml"
  buf generate --template buf.gen.python.yaml
}

java_stubs() {
  need mvn "install Maven 3.8 or later"
  local pom=examples/java/pom.xml grpc protobuf stamp
  grpc=$(sed -n 's:.*<grpc.version>\(.*\)</grpc.version>.*:\1:p' "$pom")
  protobuf=$(sed -n 's:.*<protobuf.version>\(.*\)</protobuf.version>.*:\1:p' "$pom")
  stamp="protoc $protobuf, protoc-gen-grpc-java $grpc"
  if [ "$(cat .tools/bin/java-generators 2>/dev/null)" != "$stamp" ]; then
    say java "fetching $stamp from Maven Central into .tools/bin (versions from $pom)"
    mkdir -p .tools/bin
    local arch
    case "$(uname -m)" in x86_64) arch=x86_64 ;; aarch64 | arm64) arch=aarch_64 ;; *) echo "generate: no protoc build for $(uname -m)" >&2; exit 1 ;; esac
    local os=linux
    [ "$(uname -s)" = Darwin ] && os=osx
    for artifact in "com.google.protobuf:protoc:$protobuf:exe:$os-$arch protoc" "io.grpc:protoc-gen-grpc-java:$grpc:exe:$os-$arch protoc-gen-grpc-java"; do
      set -- $artifact
      mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy -Dartifact="$1" -DoutputDirectory=.tools/bin/download -Dmdep.stripVersion=true -Dmdep.stripClassifier=true
      mv ".tools/bin/download/${2}.exe" ".tools/bin/$2"
      chmod +x ".tools/bin/$2"
    done
    rmdir .tools/bin/download
    echo "$stamp" > .tools/bin/java-generators
  fi
  say java "buf generate --template buf.gen.java.yaml"
  buf generate --template buf.gen.java.yaml
}

[ $# -gt 0 ] || set -- go python java
for lang in "$@"; do
  case "$lang" in
    go) go_stubs ;;
    python) python_stubs ;;
    java) java_stubs ;;
    *) echo "usage: $0 [go] [python] [java]" >&2; exit 2 ;;
  esac
done
