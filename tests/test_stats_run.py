"""Issue 15 on a small real run (two MiniWorld models, a clone and its real counterpart, through the sections and the report):
every record carries an interval or is undefined on too many resamples to have one; each sidecar has its samples beside it,
aligned with its records; the report writes comparisons.csv (exact McNemar for accuracies, cross-checked with scipy's binomial
test) and the five findings with a verdict."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from synbench import sections as S
from synbench.metrics.stats import VERDICTS, bootstrap_values
from synbench.report import make_report
from synbench.samples import read_samples, samples_path

PAIR = ("miniworld/resnet-real", "miniworld/resnet-syn")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("run"); cache = tmp_path_factory.mktemp("cache")
    for m in PAIR:
        ev = S.Evaluation(m, "miniworld", run="t", limit=48, n_boot=200, cache_dir=cache)
        for sec, recs in (("calibration", S.calibration(ev, roles=("id",))), ("adversarial", S.adversarial(ev, attacks=("fgsm",)))):
            S.write_sidecar(d / "reports" / sec / f"{m.replace('/', '__')}.json", recs, sec, model=ev.model)
    return d


def test_every_record_has_an_interval_and_samples(run):
    n = 0
    for f in sorted((run / "reports").glob("*/*.json")):
        recs, sm = S.read_sidecar(f)["records"], read_samples(f)
        assert samples_path(f).exists() and len(sm) == len(recs)
        for r, s in zip(recs, sm):
            assert s is not None and s.estimate().n == r["n"], r
            if r["ci_low"] is None:   # only where the number is undefined on more than alpha/2 of the resamples
                assert (~np.isfinite(bootstrap_values(s.kind, n_boot=200, seed=0, **s.arrays))).mean() > 0.025, r
            else: assert r["ci_low"] <= r["value"] + 1e-12 and r["value"] <= r["ci_high"] + 1e-12, r; n += 1
    assert n >= 10


def test_report_writes_comparisons_and_findings(run):
    res = make_report(run)
    c = pd.read_csv(res["comparisons"])
    assert set(zip(c.reference, c.other)) == {PAIR} and set(c.section) == {"calibration", "adversarial"}
    acc = c[c.metric == "Acc_clean"].iloc[0]
    assert acc.test == "mcnemar" and acc["diff"] == pytest.approx(acc.value_other - acc.value_reference)
    # McNemar against scipy: the discordant pairs of the two models' per-image correctness
    f = lambda m: read_samples(run / "reports" / "adversarial" / f"{m.replace('/', '__')}.json")[0].arrays["correct"]
    a, b = f(PAIR[0]), f(PAIR[1])
    n10, n01 = int((a & ~b).sum()), int((~a & b).sum())
    assert acc.p_value == pytest.approx(binomtest(n01, n10 + n01, 0.5).pvalue if n10 + n01 else 1.0)
    assert (c.p_holm >= c.p_value - 1e-12).all() and c.ci_low.le(c["diff"] + 1e-12).all()
    fnd = pd.read_csv(res["findings"])
    assert len(fnd) == 5 and set(fnd.verdict) <= set(VERDICTS)
    assert fnd.n_comparisons.tolist()[1:3] == [1, 1]     # (ii) ID test error and (iii) R_adv FGSM of the one supervised pair
    assert "(iii)" in res["comparisons_md"].read_text()
