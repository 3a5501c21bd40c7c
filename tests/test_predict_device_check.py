"""The GPU check's CPU fallback (tests/bench/device_check.sh): it runs end to end and writes its one JSON."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="the GPU run takes minutes; run the script itself")
def test_device_check_cpu_fallback(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    r = subprocess.run(["bash", str(ROOT / "tests/bench/device_check.sh"), str(tmp_path)], env=env,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((tmp_path / "device_check.json").read_text())
    assert doc["mode"] == "cpu-fallback"
    assert doc["harness"]["clean_ratio"] > 0 and doc["harness"]["pgd_ratio"] > 0
    assert doc["pipeline"]["cells"] == 2 and doc["pipeline"]["one_pass_over_per_variant"] > 0
    assert "[device_check" in r.stderr          # progress lines
