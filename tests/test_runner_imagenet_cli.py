"""The real-benchmark path through the CLI, offline: random-weight timm and open_clip models and
EfficientNet-Lite0 (real weights) on the ImageNet suite, with the datasets as tiny trees in their
published layouts (tests/fixtures_datasets.py), then `synbench report` beside the paper."""
import json, os, subprocess, sys
from pathlib import Path

import pandas as pd

EXE = str(Path(sys.executable).parent / "synbench")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MODELS = ["timm/resnet18.a1_in1k?pretrained=false", "open_clip/ViT-B-32:openai?pretrained=false", "efficientnet_lite0"]


def test_imagenet_suite_via_cli(dataset_tree, tmp_path):
    r = subprocess.run([EXE, "run", "--suite", "imagenet", "--data-root", str(dataset_tree), "--models", *MODELS,
                        "--sections", "calibration", "ood", "--run", "inet", "--runs-dir", str(tmp_path),
                        "--n-boot", "0", "--batch-size", "8", "--quiet"], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    docs = [json.loads(f.read_text()) for f in sorted((tmp_path / "inet" / "reports").glob("*/*.json"))]
    assert len(docs) == 6
    for d in docs:
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
    assert "ResNet50" in beside and "efficientnet_lite0" in beside   # the paper's rows next to this run's
