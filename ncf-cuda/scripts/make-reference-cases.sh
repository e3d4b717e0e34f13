#!/usr/bin/env bash
# Computes the GPU equivalence cases with the fused CPU engine (io.ncf.bench.ReferenceCaseGenerator in ncf-bench, whose
# class path has ND4J's CPU backend); the device bundle's 'run.sh check' compares the GPU against them.
# Usage: ncf-cuda/scripts/make-reference-cases.sh [out.bin]   (default ncf-cuda/target/reference-cases.bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/ncf-cuda/target/reference-cases.bin}"
cd "$root"
cpfile="$(mktemp)"
# one reactor build: the sibling modules resolve to their fresh target/classes, not to jars installed earlier
mvn -o -q -B -pl ncf-bench -am compile dependency:build-classpath -Dmdep.outputFile="$cpfile"
java -cp "ncf-bench/target/classes:$(cat "$cpfile")" io.ncf.bench.ReferenceCaseGenerator "$out"
rm -f "$cpfile"
