"""A deliberately weak model: every section flags the numbers resting on its near-chance accuracy, the section
reading says so, and the report marks its rows; a real learner is not flagged."""
import json
import pytest
import torch
from torch import nn

from synbench.sections import calibration, adversarial, corruptions, ood, reading, write_sidecar
from synbench.report import make_report
import pandas as pd


class _Always0(nn.Module):
    "Predicts class 0 for every image (accuracy = the share of class 0 = chance on MiniWorld's balanced sets)."
    def __init__(self):
        super().__init__(); self.fc = nn.Linear(3, 10)
        with torch.no_grad(): self.fc.weight.zero_(); self.fc.bias.zero_(); self.fc.bias[0] = 1.0
    def forward(self, x): return self.fc(x.mean((2, 3)))


@pytest.fixture(scope="module")
def weak():
    from synbench.miniworld.zoo import as_classifier
    return as_classifier("miniworld/resnet-real", _Always0())


def _kw(tmp_path): return dict(suite="miniworld", limit=60, n_boot=0, cache_dir=tmp_path / "cache")


def test_weak_model_is_flagged_everywhere(weak, tmp_path):
    recs = calibration(weak, roles=("id",), **_kw(tmp_path)) + adversarial(weak, attacks=("fgsm",), **_kw(tmp_path))
    recs += corruptions(weak, corruptions_2d=("snow",), corruptions_3d=(), severities=(1,), **_kw(tmp_path))
    recs += ood(weak, **_kw(tmp_path))
    assert recs and all(r.flag and r.flag.startswith("near chance") for r in recs), [r for r in recs if not r.flag]
    acc = 1 - recs[0].value                                   # the share of class 0 among the 60 images
    assert recs[0].metric == "test_error" and recs[0].flag == f"near chance: accuracy on ID is {acc:.3f}, below 2 x chance (0.200)"
    assert reading("adversarial", [r for r in recs if r.section == "adversarial"]).startswith("**Caution** — near chance")
    run = tmp_path / "run"
    for sec in ("calibration", "adversarial", "corruptions", "ood"):
        write_sidecar(run / "reports" / sec / "weak.json", [r for r in recs if r.section == sec], sec, model=weak)
    res = make_report(run, figures_dir=tmp_path / "figs")
    t2 = (run / "report" / "tables" / "table2_adversarial.md").read_text()
    assert "near chance: clean accuracy on ID" in t2
    df = pd.read_csv(res["results"])
    assert "flag" in df.columns and df.flag.notna().all()


def test_real_learner_is_not_flagged(tmp_path):
    # the A set is filtered against this very model (accuracy ~0): a shifted set's low accuracy is the measurement
    recs = calibration("miniworld/resnet-real", roles=("id", "a"), **_kw(tmp_path))
    assert [r.value for r in recs if r.dataset == "A" and r.metric == "test_error"][0] > 0.8
    recs += adversarial("miniworld/resnet-real", attacks=("fgsm",), **_kw(tmp_path))
    assert recs and not any(r.flag for r in recs)
    assert "Caution" not in reading("adversarial", [r for r in recs if r.section == "adversarial"])
