#!/usr/bin/env bash
# The consumer project's check: train a small model with ncf, rank every user with `ncf recommend`, then build this
# application offline against the installed ncf artifacts and have it serve and compare. CI runs it after the suite.
#   examples/recommender-app/check.sh [ratings file, default ../shared/data/ml-100k/u.data] [format, default ml-100k]
set -euo pipefail
app="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$app/../.." && pwd)"
ratings="${1:-$root/../shared/data/ml-100k/u.data}"
format="${2:-ml-100k}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ ! -f "$ratings" ]; then echo "check.sh: $ratings not found (the ml-100k ratings)" >&2; exit 1; fi

# Maven 3.8 prints ANSI reset codes even in batch mode: strip them (pipefail keeps mvn's status)
mvnq() { mvn -B -q -Dstyle.color=never "$@" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'; }

echo "== installing ncf into the local Maven repository (mvn install, no tests)"
(cd "$root" && mvnq -DskipTests install)
echo "== training a model and ranking every user with ncf"
"$root/ncf" prepare --input "$ratings" --format "$format" --output "$work/data" > /dev/null
"$root/ncf" train --data "$work/data" -b 4096 -e 3 --seed 1 --checkpoint-dir "$work/ckpt" > "$work/train.log"
# the application runs on OpenBLAS (ncf-core's BLAS); MKL rounds differently, so ncf ranks with OpenBLAS too
NCF_BLAS=openblas "$root/ncf" recommend --model "$work/ckpt/model.zip" --users all -k 10 --format csv -o "$work/expected.csv" > /dev/null
echo "== building the application offline against the installed artifacts"
(cd "$app" && mvnq -o package)
echo "== serving"
status=0
java -jar "$app/target/recommender-app.jar" "$work/ckpt/model.zip" "$work/expected.csv" 4 1000 > "$work/app.out" 2> "$work/app.err" || status=$?
cat "$work/app.out"
if [ "$status" -ne 0 ]; then echo "check.sh: the application failed (exit $status):" >&2; cat "$work/app.err" >&2; exit "$status"; fi
# the library prints nothing of its own: every stdout line is the application's, and stderr is empty
if [ -s "$work/app.err" ]; then echo "check.sh: the application wrote to stderr:" >&2; cat "$work/app.err" >&2; exit 1; fi
