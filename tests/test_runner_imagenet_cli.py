"""The real-benchmark path through the CLI, offline: random-weight timm and open_clip models and
EfficientNet-Lite0/1/2 (real packaged ImageNet weights, 224/240/260 px) on the ImageNet suite, with the datasets as tiny trees in their
published layouts (synbench.testing.make_fixture_tree), then `synbench report` beside the paper."""
import json, os, subprocess, sys
from pathlib import Path

import pandas as pd

EXE = str(Path(sys.executable).parent / "synbench")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
LITE = ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
MODELS = ["timm/resnet18.a1_in1k?pretrained=false", "open_clip/ViT-B-32:openai?pretrained=false", *LITE]


def test_imagenet_suite_via_cli(dataset_tree, tmp_path):
    r = subprocess.run([EXE, "run", "--suite", "imagenet", "--data-root", str(dataset_tree), "--models", *MODELS,
                        "--sections", "calibration", "ood", "--run", "inet", "--runs-dir", str(tmp_path),
                        "--n-boot", "0", "--batch-size", "8", "--quiet"], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    docs = [json.loads(f.read_text()) for f in sorted((tmp_path / "inet" / "reports").glob("*/*.json"))]
    assert len(docs) == 2 * len(MODELS)
    for d in docs:
        if d["parameters"]["model"] in LITE:   # the real path, with each model's own packaged ImageNet weights
            pv = d["provenance"]["model_provenance"]
            assert pv["weights"] == "package" and pv["pretrained"] and pv["arch"] == "tf_" + d["parameters"]["model"]
        recs = pd.DataFrame(d["records"])
        if d["section"] == "calibration":
            assert {"ID", "R", "A"} <= set(recs.dataset)         # 1000-way logits scored on 200-class R and A
            assert recs.query("metric == 'ECE'").value.between(0, 1).all()
        else:
            assert {"sun", "inaturalist", "places", "Avg"} <= set(recs.dataset)
            assert recs.query("metric == 'AUROC'").value.between(0, 1).all()
    rep = subprocess.run([EXE, "report", str(tmp_path / "inet")], capture_output=True, text=True, env=ENV)
    assert rep.returncode == 0, rep.stdout + rep.stderr[-3000:]
    beside = (tmp_path / "inet" / "report" / "beside_paper.md").read_text()
    assert "ResNet50" in beside and all(n in beside for n in LITE)   # the paper's rows next to this run's
    bp = pd.read_csv(tmp_path / "inet" / "report" / "beside_paper.csv")
    assert set(bp.table.astype(str)) == {"1", "fig3"}                 # Table 1 (OOD) and Fig. 3 (calibration)
    for t, g in bp.groupby(bp.table.astype(str)):
        paper = set(g[g.source == "paper"].column)
        assert paper, t
        for m in LITE:   # each real model fills exactly the paper's columns of the table, with finite numbers
            mine = g[(g.source == "this run") & (g.model == m)]
            assert set(mine.column) == paper, (t, m, set(mine.column) ^ paper)
            assert mine.value.notna().all() and (mine.family == "supervised").all()
