"""The statistics layer (metrics.stats) refuses bad input with a ValueError that says what was wrong. Its cross-checks
against independent references (scikit-learn's weighted AUROC and kappa, a brute-force Holm step-down, a looped
permutation test, scipy's bootstrap, numpy's polyfit, binomial quantiles, torch inputs) live in the notebooks
nbs/14_metrics.stats, 15_metrics.effective and 16_metrics.agreement beside the code."""
import numpy as np
import pytest

from synbench.metrics import stats


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
