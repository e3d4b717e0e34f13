#!/usr/bin/env bash
# Computes the GPU equivalence cases with the fused CPU engine (ND4J's natives are in ncf-cuda's test scope).
# Usage: ncf-cuda/scripts/make-reference-cases.sh [out.bin]   (default ncf-cuda/target/reference-cases.bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/ncf-cuda/target/reference-cases.bin}"
cd "$root"
mvn -o -q -B -pl ncf-cuda -am test-compile
cpfile="$(mktemp)"
mvn -o -q -B -pl ncf-cuda dependency:build-classpath -Dmdep.outputFile="$cpfile"
java -cp "ncf-cuda/target/test-classes:ncf-cuda/target/classes:ncf-model/target/classes:ncf-data/target/classes:$(cat "$cpfile")" \
  io.ncf.cuda.ReferenceCaseGenerator "$out"
rm -f "$cpfile"
