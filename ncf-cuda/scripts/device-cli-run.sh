#!/usr/bin/env bash
# On a GPU machine, with the bundle of build-device-bundle.sh (which copies this script into it): the real ncf command
# line with --engine cuda through the one training loop, the GPU tests (engine parity suite included), benchmarks and
# NVIDIA's PyTorch NCF beside them. Logs and checkpoints go to $OUT.
# Usage: BUNDLE/device-cli-run.sh check|speed|rank|two
#   check: GPU tests, ncf train --engine cuda on ml-100k and ml-latest-small (FP32, FP16), SIGKILL + --resume, --mode test
#   speed: ncf benchmark (train FP32/FP16, eval), NVIDIA's PyTorch NCF on the same synthetic ml-20m shape (FP32, AMP),
#          30 epochs of ml-20m shape end to end through 'ncf train --engine cuda'
#   rank:  the GPU ranker's tests, top-10 for every user of the ml-20m shape (FP32/FP16/BF16) checked against the CPU
#          kernel's answers (rank-reference.bin from make-rank-reference.sh), full-ranking ranks
#   two:   the --workers 2 checks on a 2-GPU machine
#   shards: user-sharded multi-GPU training with every rank on GPU 0 (NCF_CUDA_SHARE_GPU=1): the GPU tests, 'ncf train
#          --workers 4' against one GPU on ml-latest-small, and the ranks' summed work per step (numbers, not speed-ups)
#   scale: on a machine of N GPUs: the tests, --workers N against 1 on ml-latest-small, ncf benchmark for 1..N GPUs with
#          both exchanges, FP32 and FP16, and NVIDIA's PyTorch NCF under torchrun for the same N
set -uo pipefail
out="${OUT:-/tmp/out}"; mkdir -p "$out"
b="$(cd "$(dirname "$0")" && pwd)"
log="$out/device-$1.log"
step() { echo; echo "=== $* ($(date -u +%T))"; }
{
nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
step probe; "$b/run.sh" probe
if [ "$1" = check ]; then
  step "JUnit: the engine parity suite on cuda, ncf-cuda's GPU tests, rank-failure abort (CPU logic)"
  "$b/junit.sh" --select-class io.ncf.parity.CudaParityTest --select-class io.ncf.cuda.CudaGpuTest --select-class io.ncf.cuda.GpuTrainingGpuTest \
      --select-class io.ncf.cuda.RankGroupTest --select-class io.ncf.cuda.CheckedNegativesTest 2>&1 | grep -v '^\s*at ' | tail -60
  step "check: GPU vs fused CPU engine reference cases"; "$b/run.sh" check "$b/reference-cases.bin" | tail -12
  for d in ml-100k ml-latest-small; do
    for p in fp32 fp16; do
      f=""; [ $p = fp16 ] && f=--fp16
      step "ncf train --engine cuda $d $p (the one training loop)"
      "$b/ncf" train --engine cuda --data "$b/data/$d" -b 4096 -e 20 --seed 1 $f --verbose \
          --checkpoint-dir "$out/ck-$d-$p" --log-path "$out/ck-$d-$p/train.jsonl" | grep -v "^Epoch: " | tail -18
    done
  done
  step "SIGKILL mid-run, then the same command with --resume (ml-100k fp32)"
  cmd=("$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 300 --seed 1 --eval-after 0 --checkpoint-dir /tmp/ck-kill)
  "${cmd[@]}" > /tmp/kill.log 2>&1 & pid=$!
  for i in $(seq 1 600); do [ -f /tmp/ck-kill/state.ncf ] && break; sleep 0.1; done; sleep 3
  kill -9 $pid; wait $pid; echo "killed: exit $?"; tail -3 /tmp/kill.log
  "${cmd[@]}" --resume /tmp/ck-kill | grep -E "Resuming|Best HR|Best Epoch"
  step "the same run uninterrupted (best HR must equal the resumed one's within GPU float noise)"
  "$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 300 --seed 1 --eval-after 0 --checkpoint-dir /tmp/ck-straight | grep -E "Best HR|Best Epoch"
  step "SIGTERM mid-run: exit 143 and the resume line"
  "$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 300 --seed 1 --checkpoint-dir /tmp/ck-term > /tmp/term.log 2>&1 & pid=$!
  for i in $(seq 1 600); do [ -f /tmp/ck-term/state.ncf ] && break; sleep 0.1; done; sleep 1
  kill -TERM $pid; wait $pid; echo "exit $?"; tail -2 /tmp/term.log
  "$b/ncf" train --resume /tmp/ck-term | grep -E "Resuming|Best HR|Best Epoch"
  step "--mode test on the GPU with the GPU-trained checkpoint"
  "$b/ncf" train --engine cuda --data "$b/data/ml-100k" --mode test --load-checkpoint-path "$out/ck-ml-100k-fp32/model.ncf"
  step "variants and checked negatives on the GPU (ml-100k)"
  "$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 8 --seed 1 --model gmf --checkpoint-dir /tmp/ck-gmf | grep "Best HR"
  "$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 8 --seed 1 --model mlp --checkpoint-dir /tmp/ck-mlp | grep "Best HR"
  "$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 8 --seed 1 --pretrain-gmf /tmp/ck-gmf/model.ncf --pretrain-mlp /tmp/ck-mlp/model.ncf | grep "Best HR"
  "$b/ncf" train --engine cuda --data "$b/data/ml-100k" -b 4096 -e 8 --seed 1 --no-neg-trick | grep "Best HR\|Engine:"
elif [ "$1" = rank ]; then
  step "JUnit: the GPU ranker against NeuMF's definition (FP32, FP16), its block planning"
  "$b/junit.sh" --select-class io.ncf.cuda.CudaRankerGpuTest --select-class io.ncf.cuda.RankBlocksTest 2>&1 | grep -v '^\s*at ' | grep -E "CudaRanker|tests (successful|failed)|Exception|expected|✘" | head -30
  for p in fp32 fp16 bf16; do
    step "top-10 for every user of the ml-20m shape on the GPU ($p), checked against the CPU kernel's answers"
    "$b/run.sh" rank "$b/rank-reference.bin" --precision $p | grep -v "^CUDA"
  done
  step "ncf recommend / ncf evaluate --engine cuda on a GPU-trained ml-latest-small model (files back for a CPU comparison)"
  "$b/ncf" train --engine cuda --data "$b/data/ml-latest-small" -b 4096 -e 12 --seed 1 --checkpoint-dir /tmp/ck-rank | grep -E "Best HR|Best Epoch"
  cp /tmp/ck-rank/model.zip "$out/rank-model.zip"
  "$b/ncf" recommend --engine cuda --model /tmp/ck-rank/model.zip --users all -k 10 -o "$out/rank-recs-gpu-fp32.csv"
  "$b/ncf" recommend --engine cuda --fp16 --model /tmp/ck-rank/model.zip --users all -k 10 -o "$out/rank-recs-gpu-fp16.csv"
  "$b/ncf" evaluate --engine cuda --protocol full --model /tmp/ck-rank/model.zip --data "$b/data/ml-latest-small" -k 10
  step "ranking speed against block size (fp16)"
  for mp in 1048576 16777216; do "$b/run.sh" rank "$b/rank-reference.bin" --precision fp16 --max-pairs $mp | grep "pairs/s (" ; done
elif [ "$1" = speed ]; then
  for r in 1 2 3; do
    step "ncf benchmark train --engine cuda (ml-20m shape), round $r"
    "$b/ncf" benchmark train --engine cuda -b 1048576 --steps 30 --warmup 3 | tail -1
    "$b/ncf" benchmark train --engine cuda -b 1048576 --steps 60 --warmup 3 --fp16 | tail -1
    "$b/ncf" benchmark eval --engine cuda --steps 5 | tail -1
  done
  step "NVIDIA's PyTorch NCF (peer), synthetic ml-20m shape, batch 1048576, 3 epochs FP32 and AMP"
  ( cd "$b/peer" && source env.sh >/dev/null 2>&1 && python3 make_synthetic.py /tmp/ncf-ml20m > /dev/null 2>&1 &&
    python3 ncf.py --data /tmp/ncf-ml20m -e 3 -b 1048576 --seed 1 --log_path /tmp/peer32.json 2>&1 | grep -E "train_throughput|best_train" | cut -c1-400 &&
    python3 ncf.py --data /tmp/ncf-ml20m -e 3 -b 1048576 --seed 1 --amp --log_path /tmp/peer16.json 2>&1 | grep -E "train_throughput|best_train" | cut -c1-400 )
  step "gen-ratings + ncf prepare (ml-20m shape) + 30 epochs 'ncf train --engine cuda' end to end"
  "$b/run.sh" gen-ratings /tmp/ml20m.csv > /dev/null
  "$b/ncf" prepare -i /tmp/ml20m.csv --format ml-20m -o /tmp/ml20m --seed 1 | tail -1
  for p in fp16 fp32; do
    f=""; [ $p = fp16 ] && f=--fp16
    t0=$(date +%s.%N)
    "$b/ncf" train --engine cuda --data /tmp/ml20m -e 30 --seed 1 $f --checkpoint-dir /tmp/ck-$p | tail -13
    echo "END TO END $p (JVM start, data load, GPU set-up, 30 epochs, evaluations, checkpoints): $(awk "BEGIN{print $(date +%s.%N) - $t0}") s"
  done
elif [ "$1" = shards ]; then
  step "JUnit: ncf-cuda's GPU tests (user shards on one GPU, the failing-rank test), the parity suite"
  "$b/junit.sh" --select-class io.ncf.cuda.GpuTrainingGpuTest --select-class io.ncf.parity.CudaParityTest \
      --select-class io.ncf.cuda.UserBlocksTest --select-class io.ncf.cuda.RankGroupTest 2>&1 | grep -v '^\s*at ' | tail -40
  for p in fp32 fp16; do
    step "ml-20m shape, batch 1M: 2, 4, 8 user-sharded ranks on this GPU against one GPU after 20 steps ($p)"
    NCF_CUDA_SHARE_GPU=1 "$b/run.sh" shards --gpus 2,4,8 --precision $p --check-steps 20 | grep -E "RESULT|floor|error"
  done
  for p in fp32; do
    f=""; [ $p = fp16 ] && f=--fp16
    step "ncf train --engine cuda ml-latest-small $p: one GPU, then 4 user-sharded ranks on it (best HR@10 within 0.01)"
    "$b/ncf" train --engine cuda --data "$b/data/ml-latest-small" -b 4096 -e 20 --seed 1 $f | grep -E "Engine:|Best HR|Best Epoch"
    NCF_CUDA_SHARE_GPU=1 "$b/ncf" train --engine cuda --workers 4 --data "$b/data/ml-latest-small" -b 4096 -e 20 --seed 1 $f | grep -E "Engine:|Best HR|Best Epoch"
  done
  for f in "" --fp16; do
    step "the ranks' summed work per step on one GPU (ml-20m shape, batch 1M) $f"
    "$b/ncf" benchmark train --engine cuda -b 1048576 --steps 20 --warmup 3 --workers 1 --exchange all-reduce,user-shards $f
    NCF_CUDA_SHARE_GPU=1 "$b/ncf" benchmark train --engine cuda -b 1048576 --steps 10 --warmup 2 --workers 2,4,8 --exchange user-shards $f
  done
elif [ "$1" = sweep ]; then
  step "JUnit: GpuTrainingGpuTest (user shards on one GPU, the failing-rank test)"
  "$b/junit.sh" --select-class io.ncf.cuda.GpuTrainingGpuTest 2>&1 | grep -v '^\s*at ' | tail -25
  for f in "" --fp16; do
    step "one GPU's step against its batch (a rank's share of 1M on 1, 2, 4, 8 GPUs) $f"
    "$b/ncf" benchmark train --engine cuda -b 131072,262144,524288 --steps 30 --warmup 3 --exchange user-shards $f
  done
  step "checked negatives and a checkpoint with 4 user-sharded ranks on this GPU, against one GPU (ml-latest-small, 8 epochs)"
  "$b/ncf" train --engine cuda --data "$b/data/ml-latest-small" -b 4096 -e 8 --seed 1 --no-neg-trick | grep -E "Best HR"
  NCF_CUDA_SHARE_GPU=1 "$b/ncf" train --engine cuda --workers 4 --data "$b/data/ml-latest-small" -b 4096 -e 8 --seed 1 --no-neg-trick \
      --checkpoint-dir /tmp/ck-shards | grep -E "Engine:|Best HR"
  "$b/ncf" train --engine cuda --data "$b/data/ml-latest-small" --mode test --load-checkpoint-path /tmp/ck-shards/model.ncf | grep -E "HR"
elif [ "$1" = scale ]; then
  n=$(nvidia-smi -L | wc -l)
  ws=1; for w in 2 4 8; do [ $w -le $n ] && ws="$ws,$w"; done
  step "JUnit: GpuTrainingGpuTest on $n GPUs"
  "$b/junit.sh" --select-class io.ncf.cuda.GpuTrainingGpuTest 2>&1 | grep -v '^\s*at ' | tail -30
  for p in fp32 fp16; do
    step "ml-20m shape, batch 1M: user-sharded ranks against one GPU after 20 steps ($p)"
    "$b/run.sh" shards --gpus "${ws#1,}" --precision $p --check-steps 20 | grep -E "RESULT|floor|error"
  done
  step "ncf train --engine cuda --workers $n against 1, ml-latest-small FP32 (best HR@10 within 0.01)"
  "$b/ncf" train --engine cuda --data "$b/data/ml-latest-small" -b 4096 -e 20 --seed 1 | grep -E "Engine:|Best HR"
  "$b/ncf" train --engine cuda --workers "$n" --data "$b/data/ml-latest-small" -b 4096 -e 20 --seed 1 | grep -E "Engine:|Best HR"
  for f in "" --fp16; do
    step "ncf benchmark train --engine cuda --workers $ws $f (both exchanges)"
    "$b/ncf" benchmark train --engine cuda -b 1048576 --steps 40 --warmup 5 --rounds 2 --workers "$ws" --exchange all-reduce,user-shards $f
  done
  step "NVIDIA's PyTorch NCF under torchrun, same synthetic ml-20m shape, batch 1048576, FP32 and AMP, for each N"
  ( cd "$b/peer" && source env.sh >/dev/null 2>&1 && python3 make_synthetic.py /tmp/ncf-ml20m > /dev/null 2>&1 &&
    for w in ${ws//,/ }; do for a in "" --amp; do echo "torchrun N=$w $a"
      python3 -m torch.distributed.run --standalone --nproc_per_node="$w" ncf.py --data /tmp/ncf-ml20m -e 3 -b 1048576 --seed 1 $a 2>&1 | grep -E "train_throughput" | tail -1 | cut -c1-300
    done; done )
else
  step "JUnit: GpuTrainingGpuTest on 2 GPUs"
  "$b/junit.sh" --select-class io.ncf.cuda.GpuTrainingGpuTest 2>&1 | grep -v '^\s*at ' | head -30
  step "ncf train --engine cuda --workers 2 ml-100k fp32"
  "$b/ncf" train --engine cuda --workers 2 --data "$b/data/ml-100k" -b 4096 -e 20 --seed 1
  step "ncf benchmark train --engine cuda --workers 1,2"
  "$b/ncf" benchmark train --engine cuda --workers 1,2 -b 1048576 --steps 30 --warmup 3
  "$b/ncf" benchmark train --engine cuda --workers 1,2 -b 1048576 --steps 60 --warmup 3 --fp16
fi
step done
} 2>&1 | tee "$log"
