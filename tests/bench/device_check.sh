#!/usr/bin/env bash
# The GPU check of issue 16, at most 5 minutes on one GPU; writes one JSON, $OUT/device_check.json
# (OUT: the first argument, else $OUT, else ./device_check_out).
#   1. every 2D and 3D corruption on CUDA against the CPU (tests/test_corruptions_cuda.py);
#   2. clean throughput through predict() vs a bare AMP loop, timm ResNet-50 (random weights) at batch 256;
#   3. the corruption section's pipeline ceiling: per-variant passes vs one pass (tests/bench/pipeline.py);
#   4. PGD-20 through predict() vs a plain loop of 20 forward+backward passes (from 2).
# Without a GPU the same steps run on the CPU at toy sizes (about a minute): the fallback CI runs
# (tests/test_predict_device_check.py), so the script cannot rot before a GPU is at hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python}
OUTDIR=${1:-${OUT:-device_check_out}}
mkdir -p "$OUTDIR"
step() { echo "[device_check $(date +%T)] $*" >&2; }
if "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  MODE=cuda
  TESTS="timeout 90 $PY -m pytest -q -x tests/test_corruptions_cuda.py"
  HARNESS="--device cuda --arch resnet50 --n 4096 --size 224 --batch-size 256 --workers 8 --amp --repeats 3 --pgd-n 512"
  PIPE="--device cuda --n 512 --batch-size 256 --severities 1 2 3 4 5 --repeats 2"
else
  MODE=cpu-fallback
  TESTS="$PY -m pytest -q -x tests/test_corruptions_cuda.py"          # skipped without CUDA: proves it collects
  HARNESS="--device cpu --arch resnet18 --n 16 --size 64 --batch-size 8 --repeats 2 --pgd-n 8"
  PIPE="--device cpu --n 4 --batch-size 4 --corruptions shot_noise jpeg_compression --repeats 1"
fi
step "mode $MODE: corruption tests"
set +e; $TESTS > "$OUTDIR/corruption_tests.txt" 2>&1; TESTS_RC=$?; set -e
tail -n 3 "$OUTDIR/corruption_tests.txt" >&2
step "clean and PGD-20 throughput (tests/bench/harness.py $HARNESS)"
$PY tests/bench/harness.py $HARNESS --json-out "$OUTDIR/harness.json" > /dev/null
step "pipeline ceiling (tests/bench/pipeline.py $PIPE)"
$PY tests/bench/pipeline.py $PIPE > "$OUTDIR/pipeline.json"
$PY - "$OUTDIR" "$MODE" "$TESTS_RC" <<'PYEOF'
import json, sys, pathlib
out, mode, rc = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
tests = (out / "corruption_tests.txt").read_text().strip().splitlines()
doc = {"mode": mode, "corruption_tests": {"exit_code": rc, "summary": tests[-1] if tests else ""},
       "harness": json.loads((out / "harness.json").read_text()),
       "pipeline": json.loads((out / "pipeline.json").read_text().strip().splitlines()[-1])}
(out / "device_check.json").write_text(json.dumps(doc, indent=1))
print(json.dumps(doc))
sys.exit(0 if rc in (0, 5) or mode != "cuda" else 1)
PYEOF
