"""Cross-checks of the statistics layer (metrics.stats, metrics.effective, metrics.agreement) against independent
references that do not fit the notebooks: scikit-learn's weighted AUROC, a brute-force Holm step-down, a looped
permutation test, scipy's bootstrap, torch inputs."""
import numpy as np
import pytest
from scipy import special, stats as sps

from synbench.metrics import calibration as cal, ood, stats
from synbench.metrics.agreement import error_consistency, per_class_accuracy
from synbench.metrics.effective import effective_robustness_table, fit_line


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
