#!/usr/bin/env bash
# Builds what a GPU machine without a JVM needs to run ncf-cuda, into ncf-cuda/target/device-bundle/:
#   jre.tar.xz   a jlink'd Java 17 runtime (java.base, jdk.unsupported, java.logging; ~16 MB)
#   lib/*.jar    ncf-cuda, ncf-model (config + dropout classes only are loaded), javacpp and the CUDA presets
#   run.sh       unpacks the runtime under /tmp and runs io.ncf.cuda.CudaMain with the given arguments
#   reference-cases.bin, *.gpuds  if present in ncf-cuda/target (make-reference-cases.sh, DatasetExporter)
# No ND4J jar is included: the GPU path never loads ND4J. Usage: build-device-bundle.sh [dest-dir]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/ncf-cuda/target/device-bundle}"
cd "$root"
mvn -o -q -B -pl ncf-cuda -am compile
rm -rf "$out" && mkdir -p "$out/lib"
jar cf "$out/lib/ncf-cuda.jar" -C ncf-cuda/target/classes .
jar cf "$out/lib/ncf-model.jar" -C ncf-model/target/classes .
m2="${M2_REPO:-$HOME/.m2/repository}/org/bytedeco"
X
v_cpp="$(sed -n 's:.*<cuda.javacpp.version>\(.*\)</cuda.javacpp.version>.*:\1:p' pom.xml)"
cp "$m2/cuda/$v_cuda/cuda-$v_cuda.jar" "$m2/cuda/$v_cuda/cuda-$v_cuda-linux-x86_64.jar" \
   "$m2/javacpp/$v_cpp/javacpp-$v_cpp.jar" "$m2/javacpp/$v_cpp/javacpp-$v_cpp-linux-x86_64.jar" "$out/lib/"
if [ ! -f "$root/ncf-cuda/target/jre.tar.xz" ]; then
  tmp="$(mktemp -d)"
  jlink --add-modules java.base,jdk.unsupported,java.logging --compress=2 --strip-debug --no-header-files \
        --no-man-pages --output "$tmp/jre"
  tar -C "$tmp" -cJf "$root/ncf-cuda/target/jre.tar.xz" jre
  rm -rf "$tmp"
fi
cp "$root/ncf-cuda/target/jre.tar.xz" "$out/"
for f in "$root"/ncf-cuda/target/reference-cases.bin "$root"/ncf-cuda/target/*.gpuds; do [ -f "$f" ] && cp "$f" "$out/"; done
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs io.ncf.cuda.CudaMain from this bundle: run.sh probe | check reference-cases.bin | bench-train ... | bench-eval | multi
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -x /tmp/ncf-jre/jre/bin/java ] || { mkdir -p /tmp/ncf-jre && tar -C /tmp/ncf-jre -xJf "$here/jre.tar.xz"; }
export NCCL_NVLS_ENABLE=0
exec /tmp/ncf-jre/jre/bin/java -Xmx24g -XX:+UseParallelGC \
  -cp "$here/lib/*" io.ncf.cuda.CudaMain "$@"
RUN
chmod +x "$out/run.sh"
du -sh "$out" "$out"/* "$out"/lib/*
