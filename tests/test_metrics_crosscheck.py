"""Cross-checks of synbench.metrics that do not fit a notebook: torchmetrics (its import alone takes ~10 s of CPU),
the 50,000-sample bootstrap timing, and the ValueErrors for bad input. The unit cross-checks against scikit-learn,
scipy, torch and re-implementations of the paper code's and OpenOOD's formulas live in the metric notebooks
(nbs/10_metrics.calibration, 11_metrics.ood, 14_metrics.stats) beside each definition."""
import time

import numpy as np
import pytest
import torch

from synbench.metrics import calibration as cal, ood, robustness as rob, stats

torch.set_num_threads(1)


def _logits(n, k, seed, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, k, generator=g) * scale
    y = torch.randint(0, k, (n,), generator=g)
    y = torch.where(torch.rand(n, generator=g) < 0.6, z.argmax(1), y)   # about 60-70% accurate
    return z, y


# ---------------------------------------------------------------- calibration
def test_ece_vs_torchmetrics_where_binning_agrees():
    tm = pytest.importorskip("torchmetrics.classification")
    z, y = _logits(30_000, 10, seed=7)
    p = torch.softmax(z, 1)   # float32, as torchmetrics computes in float32
    conf = p.max(1).values.double()
    keep = torch.ones(len(p), dtype=torch.bool)
    for n_bins in (5, 15, 20):   # drop the few confidences on (or within float error of) an edge, or exactly 1
        keep &= ~torch.isclose(conf * n_bins, torch.round(conf * n_bins), atol=1e-6, rtol=0)
    assert keep.float().mean() > 0.99
    p, y = p[keep], y[keep]
    for n_bins in (5, 15, 20):   # away from the edges the two binning rules agree
        ref = tm.MulticlassCalibrationError(num_classes=10, n_bins=n_bins, norm="l1")(p, y).item()
        assert cal.ece(p, y, n_bins=n_bins) == pytest.approx(ref, abs=2e-6)


def test_ece_vs_torchmetrics_where_binning_differs():
    """torchmetrics bins with torch.bucketize(conf, linspace(0, 1, M+1), right=True) - 1: bins are [lo, hi) and a
    confidence of exactly 1 gets an extra bin of its own. synbench (and the paper) use (lo, hi]. They differ only
    for confidences exactly on an edge."""
    tm = pytest.importorskip("torchmetrics.functional.classification")
    p = torch.tensor([[0.5, 0.5, 0.0], [0.6, 0.4, 0.0], [1.0, 0.0, 0.0], [0.9, 0.1, 0.0]])
    y = torch.tensor([1, 0, 0, 1])   # correct: no, yes, yes, no
    # synbench, 4 bins: (.25,.5]: {.5 wrong} -> .5 ; (.5,.75]: {.6 right} -> .4 ; (.75,1]: {1 right, .9 wrong} -> |1-1.9|=.9
    assert cal.ece(p, y, n_bins=4) == pytest.approx((0.5 + 0.4 + 0.9) / 4)
    # torchmetrics: [.5,.75): {.5 wrong, .6 right} -> |1 - 1.1| = .1 ; [.75,1): {.9 wrong} -> .9 ; [1,1]: {1 right} -> 0
    ref = tm.multiclass_calibration_error(p, y, num_classes=3, n_bins=4, norm="l1").item()
    assert ref == pytest.approx((0.1 + 0.9 + 0.0) / 4, abs=1e-6)
    assert abs(ref - cal.ece(p, y, n_bins=4)) > 0.1


# ---------------------------------------------------------------- stats
def test_bootstrap_ece_50k_is_fast_and_reproducible():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.2, 1, 50_000); right = rng.uniform(size=50_000) < conf
    t0 = time.process_time()
    r1 = stats.bootstrap_ci(cal.ece_from_confidences, conf, right, n_boot=1000, vectorized=True)
    assert time.process_time() - t0 < 15   # ~2-3 s of CPU on one core
    assert r1 == stats.bootstrap_ci(cal.ece_from_confidences, conf, right, n_boot=1000, vectorized=True)
    assert r1[1] <= r1[0] <= r1[2] and r1[2] - r1[1] < 0.02


# ---------------------------------------------------------------- bad input
P = np.array([[0.7, 0.3], [0.4, 0.6]])
BAD = [
    (lambda: cal.ece([[0.7, -0.3], [0.4, 0.6]], [0, 1]), "negative"),
    (lambda: cal.ece([[np.nan, 1.0], [0.4, 0.6]], [0, 1]), "NaN"),
    (lambda: cal.ece([[0.7, 0.2], [0.4, 0.6]], [0, 1]), "sum to 1"),
    (lambda: cal.ece(P, [0]), "equal lengths"),
    (lambda: cal.ece(np.zeros((0, 2)), []), "empty"),
    (lambda: cal.ece(P, [0, 2]), "label space [0, 1]"),
    (lambda: cal.ece(P, [0, 1], n_bins=0), "n_bins must be a positive integer"),
    (lambda: cal.ece(P[0], [0]), "must be 2-D"),
    (lambda: cal.nll([[np.inf, 0]], [0], from_logits=True), "NaN or inf"),
    (lambda: cal.reliability_bins(P, [1, 1, 1]), "equal lengths"),
    (lambda: ood.ood_scores(P, "odin"), "score must be one of"),
    (lambda: ood.msp(np.ones(3)), "must be 2-D"),
    (lambda: ood.auroc([1, 2], []), "ood_scores is empty"),
    (lambda: ood.auroc([[1, 2]], [3, 4]), "same leading (batch) shape"),
    (lambda: ood.fpr_at_95tpr([1, 2], [0], convention="OOD"), "convention must be one of"),
    (lambda: ood.fpr_at_95tpr([1, np.nan], [0]), "id_scores contains NaN"),
    (lambda: ood.roc_curve([[1, 2]], [0]), "1-D array"),
    (lambda: rob.accuracy([0, 1], [0, 1, 1]), "equal lengths"),
    (lambda: rob.accuracy(P, [0, 5]), "label space [0, 1]"),
    (lambda: rob.accuracy(np.array([0, 1]), None), "boolean array"),
    (lambda: rob.r_adv(1.2, 0.8), "acc_adv must be fractions in [0, 1]"),
    (lambda: rob.r_adv(0.2, 0), "acc_clean must be > 0"),
    (lambda: rob.r_cc({"fog": [0.5, 1.5]}, 0.8), "corrupted_accs must be fractions"),
    (lambda: rob.r_cc([0.5], -0.1), "acc_clean must be fractions"),
    (lambda: rob.r_cc_paper_code([{"a": [.5, .4]}, {"b": [.3]}], 0.8, counts=[1, 2]), "one count per set"),
    (lambda: stats.bootstrap_ci(np.mean, [], n_boot=10), "is empty"),
    (lambda: stats.bootstrap_ci(np.mean, [1.0, 2.0], n_boot=2.5), "n_boot must be a positive integer"),
    (lambda: stats.bootstrap_ci(np.mean, [1.0, 2.0], groups=(0, 1)), "one group id per array"),
    (lambda: stats.paired_difference(np.mean, ([1.0, 2.0],), ([1.0],)), "same samples"),
    (lambda: stats.paired_difference(np.mean, ([1.0], [2.0]), ([1.0],)), "same structure"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[m for _, m in BAD])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError) as e:
        call()
    assert match in str(e.value)


def test_public_api_imports():
    from synbench.metrics.calibration import ece, nll, plot_reliability, reliability_bins  # noqa: F401
    from synbench.metrics.ood import auroc, energy, entropy, fpr_at_95tpr, max_logit, msp, ood_scores  # noqa: F401
    from synbench.metrics.robustness import accuracy, r_adv, r_cc, r_cc_paper_code  # noqa: F401
    from synbench.metrics.stats import bootstrap_ci, bootstrap_ci_two_sample, paired_difference  # noqa: F401
