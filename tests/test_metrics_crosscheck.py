"""Cross-checks of synbench.metrics (calibration, ood, robustness, stats) against independent references
(scikit-learn, torchmetrics, scipy, re-implementations of the paper code's and OpenOOD's formulas),
at a scale that does not fit a notebook, and the ValueErrors for bad input."""
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


# ---------------------------------------------------------------- ood
def test_auroc_and_roc_curve_match_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score, roc_curve
    rng = np.random.default_rng(0)
    for n_id, n_ood, dec in [(20_000, 15_000, 1), (500, 30, 0), (3, 4, 0)]:
        a, b = np.round(rng.normal(0.7, 1, n_id), dec), np.round(rng.normal(0, 1, n_ood), dec)
        y, s = np.r_[np.ones(n_id), np.zeros(n_ood)], np.r_[a, b]
        assert ood.auroc(a, b) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        f1, t1, th1 = ood.roc_curve(a, b)
        f2, t2, th2 = roc_curve(y, s, drop_intermediate=False)
        np.testing.assert_allclose(f1, f2, atol=1e-15)
        np.testing.assert_allclose(t1, t2, atol=1e-15)
        np.testing.assert_array_equal(th1[1:], th2[1:])
        fp, tp, _ = roc_curve(y, s, drop_intermediate=False)
        assert ood.fpr_at_95tpr(a, b) == fp[np.argmax(tp >= 0.95)]
        fp, tp, _ = roc_curve(1 - y, -s, drop_intermediate=False)
        assert ood.fpr_at_95tpr(a, b, convention="openood") == fp[np.argmax(tp >= 0.95)]


def _openood_v15_fpr(id_conf, ood_conf, tpr=0.95):
    """Reference: OpenOOD v1.5 auc_and_fpr_recall (openood/evaluators/metrics.py) re-written: OOD is positive,
    scores negated, FPR at the first ROC point (sklearn default drop_intermediate=True) with TPR >= tpr."""
    from sklearn.metrics import roc_curve
    conf = np.r_[id_conf, ood_conf]
    ood_indicator = np.r_[np.zeros(len(id_conf)), np.ones(len(ood_conf))]
    fpr, tprs, _ = roc_curve(ood_indicator, -conf)
    return fpr[np.argmax(tprs >= tpr)]


def test_openood_convention_matches_openood_code():
    rng = np.random.default_rng(1)
    for n_id, n_ood in [(10_000, 8_000), (100, 1000), (37, 21)]:
        a, b = rng.normal(1, 1, n_id), rng.normal(0, 1.3, n_ood)
        assert ood.fpr_at_95tpr(a, b, convention="openood") == _openood_v15_fpr(a, b)
        # the two conventions answer different questions and in general differ
    a, b = rng.normal(1, 1, 5000), rng.normal(0, 2, 5000)
    assert abs(ood.fpr_at_95tpr(a, b) - ood.fpr_at_95tpr(a, b, convention="openood")) > 0.05


def _paper_code_fpr(id_s, ood_s, level=0.95):
    """Reference for the paper code's fpr_and_fdr_at_recall, as plain loops: ROC points at each distinct score
    (accept score >= t), keep those up to the first with recall 1, walk them from low to high threshold and take
    the first whose recall is nearest to `level`."""
    ts = sorted(set(np.r_[id_s, ood_s].tolist()), reverse=True)
    pts = []
    for t in ts:
        rec = np.sum(id_s >= t) / len(id_s)
        pts.append((rec, np.sum(ood_s >= t)))
        if rec >= 1.0:
            break
    pts = pts[::-1]
    best = min(range(len(pts)), key=lambda i: (abs(pts[i][0] - level), i))
    return pts[best][1] / len(ood_s)


def test_paper_code_convention():
    rng = np.random.default_rng(2)
    for n_id, n_ood, dec in [(400, 300, 1), (1000, 200, 2), (20, 10, 0), (333, 50, 3)]:
        a, b = np.round(rng.normal(1, 1, n_id), dec), np.round(rng.normal(0, 1, n_ood), dec)
        assert ood.fpr_at_95tpr(a, b, convention="paper_code") == _paper_code_fpr(a, b)
        # with many samples it is close to the paper's stated definition
    a, b = rng.normal(1, 1, 20_000), rng.normal(0, 1, 20_000)
    assert abs(ood.fpr_at_95tpr(a, b, convention="paper_code") - ood.fpr_at_95tpr(a, b)) < 0.002


def test_scores_rank_ood_lower_and_entropy_sign():
    g = torch.Generator().manual_seed(0)
    confident = torch.randn(500, 20, generator=g); confident[:, 0] += 8
    flat = torch.randn(500, 20, generator=g) * 0.3
    for name in ood.SCORES:
        assert ood.auroc(ood.ood_scores(confident, name), ood.ood_scores(flat, name)) > 0.99, name
    assert (ood.entropy(flat) <= 0).all() and (ood.entropy(flat) >= -np.log(20) - 1e-12).all()


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
