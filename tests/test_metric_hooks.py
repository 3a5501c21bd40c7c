"""Issue 14: a metric registered on a section (`synbench.metrics.hooks.register_metric`) is computed by the section, with
an interval, is known to its `Section` (so the report reads it), and is gone again once unregistered; the section's own
records do not change."""
import numpy as np
import pytest

import synbench.testing as T
from synbench.metrics.hooks import Metric, register_metric, unregister_metric, registered_metrics
from synbench.sections import SECTIONS, calibration, Evaluation, records_to_frame


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


def _mean_of(name, key):
    "A throwaway metric: the mean of the context array `key` (per-image 0/1 or numbers), with its interval."
    return lambda c: [c.record(name, "mean", {"values": np.asarray(getattr(c, key), dtype=float)})]


# section -> (how to run it on tiny MiniWorld, the throwaway metric, the (dataset, variant, fields) its records must carry)
HOOKED = {
    "adversarial": (lambda ev: SECTIONS["adversarial"].fn(ev, eps=4 / 255, steps=2), _mean_of("mean_correct_adv", "correct_adv"),
                    [("ID", "FGSM eps=4/255", {"attack": "fgsm", "steps": 1}), ("ID", "PGD-2 eps=4/255 step=0.01961", {"attack": "pgd", "steps": 2})]),
    "corruptions": (lambda ev: SECTIONS["corruptions"].fn(ev, corruptions_2d=("snow",), corruptions_3d=("fog_3d",), severities=(1, 2)),
                    lambda c: [c.record("worst_cell_acc", "accuracy", {"correct": c.correct[int(np.argmin(c.accs))]}, min(c.accs),
                                        corruption=c.corruptions[int(np.argmin(c.accs))])],
                    [("2DCC", "", {}), ("3DCC", "", {})]),
    "biases": (lambda ev: SECTIONS["biases"].fn(ev), None, [("FOCUS", "", {}), ("cue-conflict", "", {}), ("IN-9L", "", {})]),
    "ablations": (lambda kw: SECTIONS["ablations"].fn(T.GRID, T.suite(24), corruptions_2d=("snow",), severities=(1,), **kw),
                  lambda c: [c.record("n_records", "mean", {"values": np.ones(len(c.records))}, float(len(c.records)))],
                  [("ablation", "prompt=class; n=3750", {"ablation": "prompt=class", "n_train_images": "3750"}),
                   ("ablation", "prompt=caption; n=3750", {"ablation": "prompt=caption", "n_train_images": "3750"})]),
}


def _biases_metric(c):
    "One record per bias set, from what each set's context gives."
    if c.dataset == "FOCUS": v = np.asarray(c.correct, dtype=float)[np.asarray(c.n_uncommon) == 0]
    elif c.dataset == "cue-conflict": v = (np.asarray(c.pred) == np.asarray(c.shape)).astype(float)
    else: v = np.asarray(c.correct["original"], dtype=float)
    return [c.record("throwaway_bias", "mean", {"values": v})]


@pytest.mark.parametrize("section", list(HOOKED))
def test_hooks_reach_every_section(section, tmp_path):
    "A metric registered on adversarial, corruptions, biases or ablations appears in its records (dataset, variant, fields as the section's"
    "own), is known to the `Section` and the report; the section's own records are exactly those it gives with no metric registered."
    from synbench.report import paper_view
    run, compute, where = HOOKED[section]
    compute = compute or _biases_metric
    kw = dict(cache_dir=tmp_path, device="cpu", n_boot=20, limit=20)
    go = (lambda: run(kw)) if section == "ablations" else (lambda: run(Evaluation(T.SYN_MODEL, T.suite(24), **kw)))
    before = go()
    name = {"adversarial": "mean_correct_adv", "corruptions": "worst_cell_acc", "biases": "throwaway_bias", "ablations": "n_records"}[section]
    m = register_metric(section, Metric(name, "fraction", "higher"), compute)
    try:
        after = go()
        assert SECTIONS[section].metric(name) is m and SECTIONS[section].all_metrics[-1] is m
        paper_view(records_to_frame(after))                       # the report reads a registered metric (not in the paper: left out)
    finally: unregister_metric(section, name)
    mine = [r for r in after if r.metric == name]
    assert [(r.section, r.dataset, r.variant) for r in mine] == [(section, d, v) for d, v, _ in where]
    for r, (_, _, fields) in zip(mine, where):
        assert all(getattr(r, k) == v for k, v in fields.items()), (r, fields)
        assert r.n > 0 and r.samples is not None and r.value is not None
    assert [r.to_dict() for r in after if r.metric != name] == [r.to_dict() for r in before]   # own records unchanged
    assert [r.to_dict() for r in go()] == [r.to_dict() for r in before]                        # and gone once unregistered
    if section == "adversarial":
        for r, p in zip(mine, [r for r in after if r.metric == "Acc_adv"]): assert r.value == pytest.approx(p.value, abs=1e-12)
    if section == "corruptions":
        accs = {d: min(r.value for r in after if r.dataset == d and r.metric == "Acc" and r.severity is not None) for d in ("2DCC", "3DCC")}
        assert [r.value for r in mine] == pytest.approx([accs["2DCC"], accs["3DCC"]], abs=1e-12)
    if section == "ablations":   # the model's records of calibration, adversarial, corruptions, ood and biases
        assert all(r.value > 20 for r in mine)
