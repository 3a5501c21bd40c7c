"""End to end, offline: per-sample correctness whose cell accuracies are the authors' ResNet50 corruption accuracies
(inverted by hand from Table 3's running averages) goes through synbench's corruption records, a sidecar and
`synbench report`; under the paper-code definitions the report reproduces Table 3's ResNet50 row, Avg R_cc 66.1."""
import numpy as np
import pandas as pd
import pytest

from synbench import sections as S, testing
from synbench.report import make_report, paper_reference

N = 10_000   # images per cell: accuracies resolved to 0.01 %


def invert_running(published):
    """The true accuracy T_c of each corruption (equal over its five severities) such that the authors' meter,
    never reset over the 25 cells, stores values whose mean over corruption c's cells is published[c]:
    P_c = mean_j (5 sum_{i<c} T_i + j T_c) / (5c + j), linear in T_c."""
    T = []
    for c, p in enumerate(published):
        prev = 5 * sum(T); j = np.arange(1, 6)
        a, b = np.mean(prev / (5 * c + j)), np.mean(j / (5 * c + j))
        T.append((p - a) / b)
    return T


def test_table3_resnet50_reproduced_under_paper_code(tmp_path):
    ref = paper_reference().query("table == 3 and model == 'ResNet50'")
    pub = ref.set_index(["dataset", "metric", "variant"]).value
    ev = S.Evaluation("miniworld/resnet-real", testing.suite(), run="e2e", n_boot=0, cache_dir=tmp_path / "cache")
    ev.name = "ResNet50-offline"
    table, oks = [], []
    for lab, ds, names in (("2DCC", "ImageNet-C", S.PAPER_2D), ("3DCC", "ImageNet-3DCC", S.PAPER_3D)):
        true = invert_running([pub[(ds, "Acc_paper_code", c)] / 100 for c in names])
        for c, t in zip(names, true):
            assert 0 < t < 1
            for s in (1, 2, 3, 4, 5):   # per-sample correctness of the cell, as a PredictionSet would give
                ok = np.r_[np.ones(round(t * N)), np.zeros(N - round(t * N))]
                table.append((lab, c, s, float(ok.mean()), len(ok))); oks.append((lab, ok.astype(bool), np.zeros(N, int)))
    c0 = np.r_[np.ones(round(pub[("ImageNet", "Acc_clean", "")] * N / 100)), np.zeros(N)][:N]; acc0 = float(c0.mean())
    recs = [ev.rec("corruptions", "ID", "", "Acc_clean", acc0, n=N)] + S._corruption_records(ev, table, acc0, True, oks, ("ImageNet", c0))
    S.write_sidecar(tmp_path / "run" / "reports" / "corruptions" / "ResNet50-offline.json", recs, "corruptions",
                    parameters={"preset": "paper-code", "r_cc_paper_code": True})
    res = make_report(tmp_path / "run")
    long = pd.read_csv(res["beside"].with_suffix(".csv")).astype({"table": str}).query("table == '3'")
    run = long[long.source == "this run"].set_index("column").value
    paper = long[(long.source == "paper") & (long.model == "ResNet50")].set_index("column").value
    assert run["ImageNet-C+3DCC (10) Avg_R_cc_paper_code"] == pytest.approx(66.1, abs=0.05)
    assert run["ImageNet-C+3DCC (10) Avg_Acc_cc_paper_code"] == pytest.approx(52.96, abs=0.02)
    for c in S.PAPER_2D: assert run[f"ImageNet-C Acc_paper_code {c}"] == pytest.approx(paper[f"ImageNet-C Acc_paper_code {c}"], abs=0.02)
    for c in S.PAPER_3D: assert run[f"ImageNet-3DCC Acc_paper_code {c}"] == pytest.approx(paper[f"ImageNet-3DCC Acc_paper_code {c}"], abs=0.02)
    assert len([k for k in paper.dropna().index if "paper_code" in k]) == 12 and run["ImageNet Acc_clean"] == pytest.approx(80.12)
    # the true accuracies differ from the published running averages, and are never set beside them
    assert abs(run["ImageNet-C Acc jpeg_compression"] - 47.03) > 5 and "ImageNet-C Acc jpeg_compression" not in paper.dropna().index
    assert "ResNet50-offline" in (res["beside"]).read_text()
    md = res["beside"].read_text()
    assert "Settings — this run: preset paper-code (corruptions)" in md and "running averages over the cells" in md
