#!/usr/bin/env bash
# On a GPU machine, with the bundle of build-device-bundle.sh (which copies this script into it): the real ncf command
# line with --engine cuda, ncf-cuda's GPU tests, benchmarks. Logs and checkpoints go to $OUT.
# Usage: BUNDLE/device-cli-run.sh one|two|ml20m   (one: 1-GPU checks and speed; two: the --workers 2 checks on a 2-GPU
# machine; ml20m: generate an ml-20m-shaped ratings.csv there, 'ncf prepare' it, 30 epochs of 'ncf train --engine cuda')
set -uo pipefail
out="${OUT:-/tmp/out}"; mkdir -p "$out"
b="$(cd "$(dirname "$0")" && pwd)"
log="$out/device-$1.log"
step() { echo; echo "=== $* ($(date -u +%T))"; }
{
nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
step probe; "$b/run.sh" probe
if [ "$1" = ml20m ]; then
  step "gen-ratings + ncf prepare (ml-20m shape, generated here: nothing carried)"
  "$b/run.sh" gen-ratings /tmp/ml20m.csv
  "$b/ncf" prepare -i /tmp/ml20m.csv --format ml-20m -o /tmp/ml20m --seed 1
  for p in fp16 fp32; do
    f=""; [ $p = fp16 ] && f=--fp16
    step "ncf train --engine cuda ml-20m-shaped, 30 epochs, $p, checkpoints"
    t0=$(date +%s.%N)
    "$b/ncf" train --engine cuda --data /tmp/ml20m -e 30 --seed 1 $f --verbose --checkpoint-dir /tmp/ck-$p
    echo "END TO END (JVM start, data load, GPU set-up, 30 epochs, evaluations, checkpoints): $(awk "BEGIN{print $(date +%s.%N) - $t0}") s"
    ls -la /tmp/ck-$p
  done
elif [ "$1" = one ]; then
  step "JUnit: ncf-cuda GPU tests (the nd4j bridge test needs ND4J natives, which the bundle does not carry)"
  "$b/junit.sh" --select-class io.ncf.cuda.CudaGpuTest --select-class io.ncf.cuda.GpuTrainingGpuTest \
      --select-class io.ncf.cuda.nd4j.CudaTrainingEngineTest 2>&1 | grep -v '^\s*at ' | head -60
  step "check: GPU vs fused CPU engine reference cases"; "$b/run.sh" check "$b/reference-cases.bin" | tail -12
  for p in fp32 fp16; do
    f=""; [ $p = fp16 ] && f=--fp16
    step "ncf train --engine cuda ml-100k $p"
    "$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 20 --seed 1 $f --verbose \
        --checkpoint-dir "$out/ckpt-$p" --log-path "$out/ckpt-$p/train.jsonl"
  done
  step "ncf benchmark train --engine cuda (ml-20m shape)"
  "$b/ncf" benchmark train --engine cuda -b 1048576 --steps 30 --warmup 3
  "$b/ncf" benchmark train --engine cuda -b 1048576 --steps 60 --warmup 3 --fp16
  step "ncf benchmark eval --engine cuda"
  "$b/ncf" benchmark eval --engine cuda --steps 5
  "$b/ncf" benchmark eval --engine cuda --steps 5 --fp16
  step "30 epochs end to end, ml-20m-shaped synthetic data (CudaMain)"
  "$b/run.sh" bench-train --precision fp16 --epochs 30 | tail -4
  "$b/run.sh" bench-train --precision fp32 --epochs 30 | tail -4
else
  step "JUnit: GpuTrainingGpuTest on 2 GPUs"
  "$b/junit.sh" --select-class io.ncf.cuda.GpuTrainingGpuTest 2>&1 | grep -v '^\s*at ' | head -30
  step "ncf train --engine cuda --workers 2 ml-100k fp32"
  "$b/ncf" train --engine cuda --workers 2 --data "$b/data/ml-100k" -b 4096 -e 20 --seed 1
  step "ncf benchmark train --engine cuda --workers 1,2"
  "$b/ncf" benchmark train --engine cuda --workers 1,2 -b 1048576 --steps 30 --warmup 3
  "$b/ncf" benchmark train --engine cuda --workers 1,2 -b 1048576 --steps 60 --warmup 3 --fp16
  step "multi: parameters after 20 steps (dropout off), 1 vs 2 GPUs, ml-20m shape"
  "$b/run.sh" multi --gpus 1,1,2 --precision fp32 --check-steps 20 --steps 30 | grep RESULT
  "$b/run.sh" multi --gpus 1,1,2 --precision fp16 --check-steps 20 --steps 60 | grep RESULT
fi
step done
} 2>&1 | tee "$log"
