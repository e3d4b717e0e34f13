#!/usr/bin/env bash
# The CPU kernel's top-10 for 256 sampled users of the ml-20m-shaped ranking model (io.ncf.bench.RankReference), for
# 'run.sh rank' on the GPU machine, whose runtime has no ND4J. Writes ncf-cuda/target/rank-reference.bin, which
# build-device-bundle.sh copies into the bundle.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
mvn -o -q -B -pl ncf-bench -am install -DskipTests
cp="$(mvn -o -q -B -pl ncf-bench dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
java -Xmx8g -cp "ncf-bench/target/classes:$cp" io.ncf.bench.RankReference ncf-cuda/target/rank-reference.bin "${1:-256}"
