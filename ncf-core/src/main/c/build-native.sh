#!/usr/bin/env bash
# Builds ncf's AVX-512 scoring kernels (ncf_kernels.c) into the module's classes, where NativeKernels loads them
# from: OUTPUT_DIR/io/ncf/core/blas/native/linux-x86_64/libncfkernels.so. Run by Maven (ncf-core's exec plugin);
# without gcc, or on another platform, it says so and builds nothing: the scoring kernel then runs on BLAS alone.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)/ncf_kernels.c"
out="$1/io/ncf/core/blas/native/linux-x86_64"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then echo "ncf-core: not Linux x86-64: no native scoring kernels (BLAS only)"; exit 0; fi
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then echo "ncf-core: $cc not found: no native scoring kernels (BLAS only; install gcc to build them)"; exit 0; fi
mkdir -p "$out"
if [ "$out/libncfkernels.so" -nt "$src" ]; then exit 0; fi
# -O3 without -march: the kernels ask for AVX-512F per function, the rest stays baseline x86-64; no libm, no libgcc_s
"$cc" -O3 -std=c11 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror -o "$out/libncfkernels.so.tmp" "$src"
mv "$out/libncfkernels.so.tmp" "$out/libncfkernels.so"
