"""`synbench report RUN --card MODEL` on a small MiniWorld run (three real models and a clone, sidecars written through
the public API as the templates write them: calibration, FGSM, snow, cue-conflict): the report writes effective_robustness.csv
and a figure per shift, error consistency (ID, cue-conflict) and per-class tables, the card's
notebook and HTML hold the model's numbers; an unknown model is refused with the run's models and nothing is written.
On the ImageNet suite (offline fixture tree), the lines go through the three EfficientNet-Lite models and the paper's nine real baselines."""
import json, os, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest

EXE = str(Path(sys.executable).parent / "synbench")
MODELS = ["miniworld/resnet-real", "miniworld/vit-real", "miniworld/clip-real", "miniworld/resnet-syn"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from synbench import sections as S
    from synbench.runner import slug
    run = tmp_path_factory.mktemp("runs") / "card"
    cache = os.environ.get("SYNBENCH_CACHE") or str(tmp_path_factory.mktemp("cache"))
    for m in MODELS:
        ev = S.Evaluation(m, "miniworld", run=run.name, cache_dir=cache, limit=32, n_boot=20)
        for sec, recs in (("calibration", S.calibration(ev)), ("adversarial", S.adversarial(ev, attacks=("fgsm",))),
                          ("corruptions", S.corruptions(ev, corruptions_2d=("snow",), corruptions_3d=(), severities=(1, 3))),
                          ("biases", S.biases(ev, parts=("cue_conflict",)))):
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
    # effective robustness: R, A and FGSM, a line through the three real models, the clone's offset from it with an interval
    er = pd.read_csv(run_dir / "report" / "effective_robustness.csv")
    assert set(er["shift"]) == {"R", "A", "attack:fgsm", "2DCC:snow"} and set(er.n_line) == {3} and set(er.n_shift.dropna()) == {32}
    res = pd.read_csv(run_dir / "report" / "results.csv")
    acc = lambda m, sec, ds, met: float(res[(res.model == m) & (res.section == sec) & (res.dataset == ds) & (res.metric == met)].value.iloc[0])
    clone = er[(er.model == "miniworld/resnet-syn") & (er["shift"] == "R")].iloc[0]
    assert clone.role == "clone"
    assert clone.acc_shift == pytest.approx(1 - acc("miniworld/resnet-syn", "calibration", "R", "test_error"))
    assert clone.effective_robustness == pytest.approx(clone.acc_shift - clone.baseline)
    assert clone.ci_low <= clone.effective_robustness <= clone.ci_high
    # error consistency with its counterpart on the ID set: model-vs-human's formula on the arrays beside the sidecars
    from synbench.samples import read_samples
    def correct(m):
        f = run_dir / "reports" / "calibration" / f"{m.replace('/', '__')}.json"
        recs = json.loads(f.read_text())["records"]
        i = [k for k, r in enumerate(recs) if r["dataset"] == "ID" and r["metric"] == "test_error"][0]
        return read_samples(f)[i].arrays["correct"].astype(float)
    a, b = correct("miniworld/resnet-syn"), correct("miniworld/resnet-real")
    p1, p2, obs = a.mean(), b.mean(), (a == b).mean(); exp = p1 * p2 + (1 - p1) * (1 - p2)
    ec = pd.read_csv(run_dir / "report" / "error_consistency.csv")
    row = ec[(ec.section == "calibration") & (ec.dataset == "ID")].iloc[0]
    assert (row.clone, row.counterpart, row.n) == ("miniworld/resnet-syn", "miniworld/resnet-real", 32)
    assert row.kappa == pytest.approx(1.0 if obs == 1 else (obs - exp) / (1 - exp))
    cc = ec[ec.dataset == "cue-conflict"]                         # scored on the shape class
    assert len(cc) == 1 and -1 <= cc.kappa.iloc[0] <= 1 and cc.ci_low.iloc[0] <= cc.kappa.iloc[0] <= cc.ci_high.iloc[0]
    pc = pd.read_csv(run_dir / "report" / "per_class.csv")
    assert {"calibration", "adversarial", "corruptions", "biases"} <= set(pc.section)
    assert set(pc.model) == set(MODELS) and pc[(pc.model == "miniworld/resnet-syn") & (pc.section == "calibration") & (pc.dataset == "ID")].n.sum() == 32
    figs = sorted(p.name for p in (run_dir / "report" / "figures" / "effective_robustness").glob("*.png"))
    assert figs == ["2DCC_snow.png", "A.png", "R.png", "attack_fgsm.png"]
    assert er[er.role == "clone"].ci_low.notna().all()
    # the corrupted and attacked ID images are resampled paired with the clean ones, the R and A sets apart
    assert er.groupby("shift").paired.first().to_dict() == {"R": False, "A": False, "attack:fgsm": True, "2DCC:snow": True}
    # per-class tables name the classes (the MiniWorld label space), the index beside the name
    from synbench.miniworld.zoo import miniworld_labelspace
    names = list(miniworld_labelspace().class_names)
    idc = pc[(pc.section == "calibration") & (pc.dataset == "ID")]
    assert [names[int(i)] for i in idc["class"]] == list(idc.class_name)
    # the card: notebook without errors, HTML with the model, its counterpart, the paper's rows and its numbers
    nb = json.loads((run_dir / "cards" / "miniworld__resnet-syn.ipynb").read_text())
    outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outs if o["output_type"] == "error" or o.get("name") == "stderr"]
    html = (run_dir / "cards" / "miniworld__resnet-syn.html").read_text()
    for s in ("miniworld/resnet-syn", "miniworld/resnet-real", "SynResNet50", "ResNet50", "Effective robustness", "mcnemar", "cue-conflict", "p_holm", "n_supported"):
        assert s in html, s
    err = acc("miniworld/resnet-syn", "calibration", "ID", "test_error")
    assert f"{err:.6f}" in html                                   # its ID test error, as the card's table prints it
    assert f"{clone.effective_robustness:.6f}" in html or f"{clone.effective_robustness:.4f}" in html


def test_imagenet_lines_through_the_paper_baselines_and_the_lite_models(dataset_tree, tmp_path):
    "On the ImageNet suite (the fixture tree, offline): each line goes through the three EfficientNet-Lite models with real weights and the paper's nine real baselines."
    from synbench import sections as S
    from synbench.report import make_report
    run = tmp_path / "lite"
    for m in ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"):
        ev = S.Evaluation(m, "imagenet", data_root=str(dataset_tree), run="lite", cache_dir=str(tmp_path / "cache"), n_boot=20)
        S.write_sidecar(run / "reports" / "calibration" / f"{m}.json", S.calibration(ev), "calibration", {"model": m}, ev.model)
    res = make_report(run)
    er = pd.read_csv(res["effective"])
    assert set(er["shift"]) == {"R", "A"} and set(er.n_line) == {12}
    for shift, g in er.groupby("shift"):
        assert sorted(g[g.role == "real"].model) == ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
        assert len(g[g.role == "fixed"]) == 9 and not g.model.str.startswith("Syn").any()
    assert sorted(p.name for p in res["effective_figures"]) == ["A.png", "R.png"]
