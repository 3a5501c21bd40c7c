"""Issue 14: a metric registered on a section (`synbench.metrics.hooks.register_metric`) is computed by the section, with
an interval, is known to its `Section` (so the report reads it), and is gone again once unregistered; the section's own
records do not change."""
import numpy as np
import pytest

import synbench.testing as T
from synbench.metrics.hooks import Metric, register_metric, unregister_metric, registered_metrics
from synbench.sections import SECTIONS, calibration, Evaluation


@pytest.fixture
def throwaway():
    "A per-image metric (1 - confidence of the true class) registered on calibration for one test."
    m = register_metric("calibration", Metric("one_minus_p_true", "fraction", "lower"),
                        lambda c: [c.record("one_minus_p_true", "mean", {"values": 1 - c.probs[np.arange(len(c.labels)), c.labels]},
                                            labels=c.labels)])
    yield m
    unregister_metric("calibration", m.name)


def test_registered_metric_runs_in_its_section(throwaway, tmp_path):
    ev = Evaluation(T.MODEL, T.suite(24), cache_dir=tmp_path, device="cpu", n_boot=50)
    recs = calibration(ev, roles=("id",))
    mine = recs[-1]                                  # registered last: after the section's own records and any other metric's
    assert [r.metric for r in recs[:4]] == ["test_error", "ECE", "adaptive_ECE", "NLL"]
    assert (mine.section, mine.dataset, mine.metric, mine.n) == ("calibration", "ID", "one_minus_p_true", 24)
    assert mine.ci_low <= mine.value <= mine.ci_high and mine.samples.kind == "mean"
    assert SECTIONS["calibration"].metric("one_minus_p_true") is throwaway
    assert SECTIONS["calibration"].all_metrics[-1] is throwaway


def test_unregistered_metric_is_gone(tmp_path):
    assert registered_metrics("demo-none") == ()
    m = register_metric("calibration", Metric("tmp_metric"), lambda c: [])
    unregister_metric("calibration", m.name)
    with pytest.raises(ValueError, match="declares no metric 'tmp_metric'"): SECTIONS["calibration"].metric("tmp_metric")
    recs = calibration(Evaluation(T.MODEL, T.suite(24), cache_dir=tmp_path, device="cpu", n_boot=0), roles=("id",))
    assert [r.metric for r in recs] == ["test_error", "ECE", "adaptive_ECE", "NLL", *(m.name for m in registered_metrics("calibration"))]


def test_a_metric_returns_only_its_own_records(tmp_path):
    register_metric("calibration", Metric("liar"), lambda c: [c.record("ECE", "mean", {"values": c.conf})])
    try:
        with pytest.raises(ValueError, match="returned records of other metrics"):
            calibration(Evaluation(T.MODEL, T.suite(24), cache_dir=tmp_path, device="cpu", n_boot=0), roles=("id",))
    finally: unregister_metric("calibration", "liar")


def test_ood_hook_per_set(tmp_path):
    "On ood, a registered metric is computed once per OOD set, with the section's score as variant and the set as subset."
    register_metric("ood", Metric("mean_ood_score", "score", "none"),
                    lambda c: [c.record("mean_ood_score", "mean", {"values": c.ood_scores})])
    try: recs = SECTIONS["ood"].fn(Evaluation(T.MODEL, T.suite(24), cache_dir=tmp_path, device="cpu", n_boot=20))
    finally: unregister_metric("ood", "mean_ood_score")
    mine = [r for r in recs if r.metric == "mean_ood_score"]
    aur = [r for r in recs if r.metric == "AUROC" and r.dataset != "Avg"]
    assert len(mine) == len(aur) > 0 and [(r.dataset, r.variant, r.subset) for r in mine] == [(r.dataset, r.variant, r.subset) for r in aur]
    assert [r.dataset for r in recs[-2:]] == ["Avg", "Avg"]
