#!/usr/bin/env bash
# Builds what a GPU machine without a JVM needs to run the ncf command line with --engine cuda (and the GPU harness,
# io.ncf.bench.CudaMain of ncf-bench), into ncf-cuda/target/device-bundle/ or the given directory:
#   jre.tar.xz   a jlink'd Java 17 runtime (java.base, jdk.unsupported, java.logging, java.management, java.xml; ~17 MB)
#   lib/*.jar    the thin CLI class path: ncf-cli, ncf-train, ncf-eval, ncf-model, ncf-data, ncf-core, ncf-cuda, ncf-bench, picocli,
#                datavec-api (+ nd4j-common, commons-io, commons-lang3, slf4j for 'ncf prepare'), javacpp and the CUDA
#                13 presets: 9.2 MB. No nd4j-api or native jar: --engine cuda loads no ND4J class.
#   ncf          the launcher: ./ncf train --engine cuda ... (the real CLI)
#   run.sh       io.ncf.bench.CudaMain (probe | check | bench-train | bench-eval | train | multi | gen-ratings)
#   junit.sh     runs ncf-cuda's GPU test classes (tests/*.jar + junit-platform-console-standalone)
#   device-cli-run.sh   the GPU checks and measurements (logs to $OUT; run logs are not committed)
# The device tool sends the tree of the session's own checkout, not a helper's clone: build the bundle into a
# git-ignored folder of that checkout (e.g. .devcarry/NAME) and carry exactly that folder.
#   reference-cases.bin, *.gpuds   if present in ncf-cuda/target (make-reference-cases.sh, DatasetExporter)
#   data/NAME/   each prepared dataset directory in ncf-cuda/target/datasets/ ('ncf prepare -o' there; never commit data)
# Usage: build-device-bundle.sh [dest-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/ncf-cuda/target/device-bundle}"
cd "$root"
mvn -o -q -B -Dstyle.color=never -pl ncf-cli -am test-compile
rm -rf "$out" && mkdir -p "$out/lib" "$out/tests"
for m in ncf-cli ncf-train ncf-eval ncf-model ncf-data ncf-core ncf-cuda ncf-bench; do jar cf "$out/lib/$m.jar" -C "$m/target/classes" .; done
jar cf "$out/tests/ncf-cuda-tests.jar" -C ncf-cuda/target/test-classes .
m2="${M2_REPO:-$HOME/.m2/repository}"
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" pom.xml | head -1; }
v_cuda="$(prop cuda13.presets.version)"; v_cpp="$(prop cuda.javacpp.version)"; v_dl4j="$(prop dl4j.version)"
v_pico="$(prop picocli.version)"; v_junit="$(prop junit.version)"; v_plat="1.${v_junit#5.}"
cp "$m2/org/bytedeco/cuda/$v_cuda/cuda-$v_cuda.jar" "$m2/org/bytedeco/cuda/$v_cuda/cuda-$v_cuda-linux-x86_64.jar" \
   "$m2/org/bytedeco/javacpp/$v_cpp/javacpp-$v_cpp.jar" "$m2/org/bytedeco/javacpp/$v_cpp/javacpp-$v_cpp-linux-x86_64.jar" \
   "$m2/info/picocli/picocli/$v_pico/picocli-$v_pico.jar" "$m2/org/datavec/datavec-api/$v_dl4j/datavec-api-$v_dl4j.jar" "$out/lib/"
# the training chart (ncf train writes training.png next to the checkpoints)
cp "$m2/org/jfree/jfreechart/1.5.6/jfreechart-1.5.6.jar" "$out/lib/"
# what 'ncf prepare' (DataVec's readers) loads besides datavec-api; nd4j-common is utilities, no native code
cp "$m2/org/nd4j/nd4j-common/$v_dl4j/nd4j-common-$v_dl4j.jar" "$m2/commons-io/commons-io/2.7/commons-io-2.7.jar" \
   "$m2/org/apache/commons/commons-lang3/3.11/commons-lang3-3.11.jar" "$m2/org/slf4j/slf4j-api/1.7.21/slf4j-api-1.7.21.jar" \
   "$m2/org/slf4j/slf4j-nop/1.7.21/slf4j-nop-1.7.21.jar" "$out/lib/"
# JUnit's console launcher (fetch once: mvn dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:VERSION)
junit="$m2/org/junit/platform/junit-platform-console-standalone/$v_plat/junit-platform-console-standalone-$v_plat.jar"
if [ -f "$junit" ]; then cp "$junit" "$out/tests/"; else echo "note: $junit missing: junit.sh will not work" >&2; fi
jre="$root/ncf-cuda/target/jre.tar.xz"
mods=java.base,jdk.unsupported,java.logging,java.management,jdk.management,java.xml   # java.xml: JUnit's console launcher
if [ ! -f "$jre" ] || ! tar -xOJf "$jre" jre/release | grep -q "jdk.management"; then
  tmp="$(mktemp -d)"
  jlink --add-modules "$mods" --compress=2 --strip-debug \
        --no-header-files --no-man-pages --output "$tmp/jre"
  tar -C "$tmp" -cJf "$jre" jre
  rm -rf "$tmp"
fi
cp "$jre" "$out/"
for f in "$root"/ncf-cuda/target/reference-cases.bin "$root"/ncf-cuda/target/rank-reference.bin "$root"/ncf-cuda/target/*.gpuds; do [ -f "$f" ] && cp "$f" "$out/"; done
if [ -d "$root/ncf-cuda/target/datasets" ]; then mkdir -p "$out/data" && cp -r "$root"/ncf-cuda/target/datasets/* "$out/data/"; fi
java_line='[ -x /tmp/ncf-jre/jre/bin/java ] || { mkdir -p /tmp/ncf-jre && tar -C /tmp/ncf-jre -xJf "$here/jre.tar.xz"; }
export NCCL_NVLS_ENABLE=0   # NVLink multicast stays off on shared machines'
cat > "$out/ncf" <<RUN
#!/usr/bin/env bash
# The ncf command line from this bundle's thin class path (no ND4J: use --engine cuda): ./ncf train --engine cuda ...
set -euo pipefail
here="\$(cd "\$(dirname "\$0")" && pwd)"
$java_line
exec /tmp/ncf-jre/jre/bin/java \${NCF_JAVA_OPTS:--Xmx24g -XX:+UseParallelGC} -cp "\$here/lib/*" io.ncf.cli.NcfCli "\$@"
RUN
cat > "$out/run.sh" <<RUN
#!/usr/bin/env bash
# io.ncf.bench.CudaMain from this bundle: run.sh probe | check reference-cases.bin | bench-train ... | bench-eval | train | multi | gen-ratings
set -euo pipefail
here="\$(cd "\$(dirname "\$0")" && pwd)"
$java_line
exec /tmp/ncf-jre/jre/bin/java -Xmx24g -XX:+UseParallelGC -cp "\$here/lib/*" io.ncf.bench.CudaMain "\$@"
RUN
cat > "$out/junit.sh" <<RUN
#!/usr/bin/env bash
# JUnit console launcher over ncf-cuda's test classes: junit.sh --select-class io.ncf.cuda.CudaGpuTest ...
set -euo pipefail
here="\$(cd "\$(dirname "\$0")" && pwd)"
$java_line
exec /tmp/ncf-jre/jre/bin/java -Xmx24g -jar "\$here"/tests/junit-platform-console-standalone-*.jar execute \\
  --class-path "\$(ls "\$here"/lib/*.jar "\$here"/tests/ncf-cuda-tests.jar | paste -sd:)" --details=tree --disable-banner --disable-ansi-colors "\$@"
RUN
cp "$root/ncf-cuda/scripts/device-cli-run.sh" "$out/"
# NVIDIA's PyTorch NCF, the speed peer, when the shared folder beside the checkout has it (never committed)
if [ -d "$root/../shared/peers/nvidia-ncf-pytorch" ]; then rm -rf "$out/peer" && cp -r "$root/../shared/peers/nvidia-ncf-pytorch" "$out/peer"; fi
chmod +x "$out/ncf" "$out/run.sh" "$out/junit.sh" "$out/device-cli-run.sh"
du -sh "$out" "$out"/* "$out"/lib/* "$out"/tests/*
