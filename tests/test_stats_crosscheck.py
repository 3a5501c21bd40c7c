"""Cross-checks of the statistics layer (metrics.stats, metrics.effective, metrics.agreement) against independent
references that do not fit the notebooks: scikit-learn's weighted AUROC, a brute-force Holm step-down, a looped
permutation test, scipy's bootstrap, torch inputs."""
import numpy as np
import pytest
from scipy import special, stats as sps

from synbench.metrics import calibration as cal, ood, stats
from synbench.metrics.agreement import error_consistency, per_class_accuracy
from synbench.metrics.effective import effective_robustness_table, fit_line


def test_weighted_auroc_matches_sklearn_sample_weight():
    "The count-weighted Mann-Whitney AUROC of a resample equals sklearn's roc_auc_score with those counts as sample weights."
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    a, b = np.round(rng.normal(1, 1, 300), 1), np.round(rng.normal(0, 1, 200), 1)
    st = stats._k_auroc(a, b)
    for d in st.draws(5, seed=1):
        vals = st.fn(d)
        for j in range(d.b):
            w = np.r_[d.w("id")[j], d.w("ood")[j]]
            ref = roc_auc_score(np.r_[np.ones(300), np.zeros(200)], np.r_[a, b], sample_weight=w)
            assert abs(vals[j] - ref) < 1e-12


def _holm_step_down(p, alpha):
    "Holm (1979) by its definition: reject H_(1..k-1) where k is the first j with p_(j) > alpha / (m - j + 1)."
    order = np.argsort(p); m = len(p); rej = np.zeros(m, bool)
    for j, i in enumerate(order):
        if p[i] > alpha / (m - j): break
        rej[i] = True
    return rej


def test_holm_adjusted_p_values_reproduce_the_step_down_procedure():
    rng = np.random.default_rng(3)
    for _ in range(50):
        p = rng.uniform(size=rng.integers(1, 15)) ** 2
        adj = stats.holm(p)
        for alpha in (0.001, 0.01, 0.05, 0.1, 0.3):
            np.testing.assert_array_equal(adj <= alpha, _holm_step_down(p, alpha))


def test_permutation_test_matches_a_looped_swap():
    "The vectorised sign-flip test equals swapping the two models' images explicitly (same random swaps) and recomputing R_adv."
    rng = np.random.default_rng(0)
    n = 400
    ca, cb = rng.uniform(size=n) < 0.8, rng.uniform(size=n) < 0.75
    aa, ab = ca & (rng.uniform(size=n) < 0.6), cb & (rng.uniform(size=n) < 0.5)
    r = stats.compare("r_adv", dict(correct_adv=aa, correct_clean=ca), dict(correct_adv=ab, correct_clean=cb),
                      test="permutation", n_boot=300, seed=4)
    swaps = np.random.default_rng(4).integers(0, 2, size=(300, n)).astype(bool)
    obs = aa.mean() / ca.mean() - ab.mean() / cb.mean()
    perm = []
    for s in swaps:
        xa, xb = np.where(s, ab, aa), np.where(s, aa, ab)
        ya, yb = np.where(s, cb, ca), np.where(s, ca, cb)
        perm.append(xa.mean() / ya.mean() - xb.mean() / yb.mean())
    p_ref = (1 + (np.abs(perm) >= abs(obs) - 1e-12).sum()) / 301
    assert r.p_value == pytest.approx(p_ref, abs=1e-12)
    assert r.diff == pytest.approx(obs, abs=1e-12)


def test_accuracy_interval_matches_scipy_bootstrap():
    rng = np.random.default_rng(1)
    c = rng.uniform(size=1500) < 0.7
    e = stats.estimate("accuracy", correct=c, n_boot=4000)
    ref = sps.bootstrap((c.astype(float),), np.mean, n_resamples=4000, method="percentile",
                        random_state=np.random.default_rng(0)).confidence_interval
    assert e.ci_low == pytest.approx(ref.low, abs=0.006) and e.ci_high == pytest.approx(ref.high, abs=0.006)


def test_kinds_accept_torch_tensors():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    c = rng.uniform(size=500) < 0.8; conf = rng.uniform(0.2, 1, 500)
    assert stats.estimate("accuracy", correct=torch.tensor(c)) == stats.estimate("accuracy", correct=c)
    assert stats.estimate("ece", conf=torch.tensor(conf, dtype=torch.float64), correct=torch.tensor(c)) == \
        stats.estimate("ece", conf=conf, correct=c)


def test_ece_kind_matches_calibration_on_probabilities():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(800, 10)) * 3; y = rng.integers(0, 10, 800)
    conf, correct = cal.confidences_and_correct(logits, y, from_logits=True)
    assert stats.estimate("ece", conf=conf, correct=correct, n_boot=0).value == pytest.approx(
        cal.ece(logits, y, from_logits=True), abs=1e-12)
    assert stats.estimate("nll", logits=logits, labels=y, n_boot=0).value == pytest.approx(
        cal.nll(logits, y, from_logits=True), abs=1e-12)


def test_fpr95_kind_equals_ood_on_original_samples_for_many_sizes():
    rng = np.random.default_rng(6)
    for n1, n0 in [(1, 1), (7, 3), (20, 50), (101, 99)]:
        a, b = np.round(rng.normal(1, 1, n1), 1), np.round(rng.normal(0, 1, n0), 1)
        for conv in ("paper", "openood"):
            v = stats.estimate("fpr95", id_scores=a, ood_scores=b, convention=conv, n_boot=0).value
            assert v == pytest.approx(ood.fpr_at_95tpr(a, b, convention=conv), abs=1e-12)


def test_error_consistency_matches_sklearn_kappa():
    from sklearn.metrics import cohen_kappa_score
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = rng.uniform(size=200) < rng.uniform(0.3, 0.95); b = np.where(rng.uniform(size=200) < 0.5, a, rng.uniform(size=200) < 0.6)
        assert error_consistency(a, b, n_boot=0).value == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_per_class_interval_matches_binomial_quantiles():
    "A class's resampled accuracy is Binomial(n_c, p_c)/n_c: the interval ends match its exact quantiles up to Monte Carlo error."
    y = np.repeat(np.arange(3), [40, 100, 400]); rng = np.random.default_rng(8)
    c = rng.uniform(size=len(y)) < np.array([0.5, 0.8, 0.9])[y]
    t = per_class_accuracy(c, y, n_boot=20000)
    for k, nk in enumerate([40, 100, 400]):
        p = c[y == k].mean()
        lo, hi = sps.binom.ppf([0.025, 0.975], nk, p) / nk
        assert t.ci_low[k] == pytest.approx(lo, abs=1.01 / nk) and t.ci_high[k] == pytest.approx(hi, abs=1.01 / nk)


def test_effective_robustness_fit_is_polyfit_on_logits_of_the_real_models():
    rng = np.random.default_rng(9)
    real = {f"r{j}": (rng.uniform(size=500) < a, rng.uniform(size=400) < a - 0.2) for j, a in enumerate([0.6, 0.7, 0.8, 0.9])}
    clones = {"c": (rng.uniform(size=500) < 0.75, rng.uniform(size=400) < 0.45)}
    t, fit = effective_robustness_table(real, clones, n_boot=50)
    x = np.array([v[0].mean() for v in real.values()]); yv = np.array([v[1].mean() for v in real.values()])
    slope, icpt = np.polyfit(special.logit(x), special.logit(yv), 1)
    assert (fit.slope, fit.intercept) == pytest.approx((slope, icpt), abs=1e-10)
    row = t.set_index("model").loc["c"]
    assert row.effective_robustness == pytest.approx(row.acc_shift - special.expit(icpt + slope * special.logit(row.acc_id)), abs=1e-12)
    assert fit_line(x, yv).slope == pytest.approx(slope, abs=1e-10)


@pytest.mark.parametrize("call, match", [
    (lambda: stats.estimate("auroc", id_scores=[1.0, np.nan], ood_scores=[0.0]), "NaN or inf"),
    (lambda: stats.estimate("fpr95", id_scores=[1.0], ood_scores=[0.0], convention="x"), "convention must be one of"),
    (lambda: stats.estimate("r_cc", correct_cells=np.ones((5, 3)), correct_clean=np.ones(5), corruptions=["a"]), "has 1 entries"),
    (lambda: stats.estimate("cb", correct=[1, 0], k=[0, 5], level=1), "k must hold integers 0..3"),
    (lambda: stats.estimate("shape_bias", pred=["a"], shape=["b"], texture=["b"]), "no cue-conflict images"),
    (lambda: stats.compare("accuracy", [1, 0], [0, 1]), "must be dicts"),
    (lambda: stats.compare("accuracy", dict(correct=[1, 0]), dict(correct=[0, 1]), test="t"), "test must be one of"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError) as e:
        call()
    assert match in str(e.value)
