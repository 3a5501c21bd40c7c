"""`synbench report RUN --card MODEL` on a small MiniWorld run (three models, calibration and FGSM, sidecars written through
the public API as the templates write them): the report writes effective_robustness.csv and a figure per shift, the card's
notebook and HTML hold the model's numbers; an unknown model is refused with the run's models and nothing is written."""
import json, os, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest

EXE = str(Path(sys.executable).parent / "synbench")
MODELS = ["miniworld/resnet-real", "miniworld/vit-real", "miniworld/resnet-syn"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from synbench import sections as S
    from synbench.runner import slug
    run = tmp_path_factory.mktemp("runs") / "card"
    cache = os.environ.get("SYNBENCH_CACHE") or str(tmp_path_factory.mktemp("cache"))
    for m in MODELS:
        ev = S.Evaluation(m, "miniworld", run=run.name, cache_dir=cache, limit=16, n_boot=20)
        for sec, recs in (("calibration", S.calibration(ev)), ("adversarial", S.adversarial(ev, attacks=("fgsm",)))):
            S.write_sidecar(run / "reports" / sec / f"{slug(m)}.json", recs, sec, {"model": m}, ev.model)
    return run


def synbench(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=ENV)


def test_unknown_card_model_is_refused_and_nothing_written(run_dir):
    r = synbench("report", str(run_dir), "--card", "miniworld/resnet-sin")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "has no results for this model" in r.stderr and "did you mean 'miniworld/resnet-syn'" in r.stderr
    assert "miniworld/vit-real" in r.stderr                      # the run's models are named
    assert not (run_dir / "report").exists() and not (run_dir / "cards").exists()


def test_report_card_and_effective_robustness(run_dir):
    r = synbench("report", str(run_dir), "--card", "miniworld/resnet-syn")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "report card:" in r.stdout and "effective robustness:" in r.stdout
    # effective robustness: R, A and FGSM, a line through the two real models, the clone's offset from it
    er = pd.read_csv(run_dir / "report" / "effective_robustness.csv")
    assert set(er["shift"]) == {"R", "A", "attack:fgsm"} and set(er.n_line) == {2}
    res = pd.read_csv(run_dir / "report" / "results.csv")
    acc = lambda m, sec, ds, met: float(res[(res.model == m) & (res.section == sec) & (res.dataset == ds) & (res.metric == met)].value.iloc[0])
    clone = er[(er.model == "miniworld/resnet-syn") & (er["shift"] == "R")].iloc[0]
    assert clone.role == "clone"
    assert clone.acc_shift == pytest.approx(1 - acc("miniworld/resnet-syn", "calibration", "R", "test_error"))
    assert clone.effective_robustness == pytest.approx(clone.acc_shift - clone.baseline)
    figs = sorted(p.name for p in (run_dir / "report" / "figures" / "effective_robustness").glob("*.png"))
    assert figs == ["A.png", "R.png", "attack_fgsm.png"]
    # the card: notebook without errors, HTML with the model, its counterpart, the paper's rows and its numbers
    nb = json.loads((run_dir / "cards" / "miniworld__resnet-syn.ipynb").read_text())
    outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outs if o["output_type"] == "error" or o.get("name") == "stderr"]
    html = (run_dir / "cards" / "miniworld__resnet-syn.html").read_text()
    for s in ("miniworld/resnet-syn", "miniworld/resnet-real", "SynResNet50", "ResNet50", "Effective robustness"):
        assert s in html, s
    err = acc("miniworld/resnet-syn", "calibration", "ID", "test_error")
    assert f"{err:.6f}" in html                                   # its ID test error, as the card's table prints it
    assert f"{clone.effective_robustness:.6f}" in html or f"{clone.effective_robustness:.4f}" in html
