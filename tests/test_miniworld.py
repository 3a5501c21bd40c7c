"""MiniWorld: tiny build through the CLI, every evaluation set at tiny size through the dataset interface, the
missing-data message, and (when the package ships them) the shipped weights. Unit tests of one function (the IDX
reader against the raw bytes, the A set with a reference model) live beside the code
in nbs/60_miniworld.world.ipynb and nbs/62_miniworld.sets.ipynb."""
import json, os
from pathlib import Path

import numpy as np
import pytest
import torch

from synbench.miniworld import cli_build, open_dataset, suite, load_model, MODELS, ABLATION_GRIDS
from synbench.miniworld.world import fashion_mnist_dir
from synbench.miniworld.sets import SET_NAMES
from synbench.miniworld.zoo import weights_dir, zoo_table, FULL, _fname, train_model, TINY
from synbench.core import file_sha256

torch.set_num_threads(1)
SHIPPED = (weights_dir() / "manifest.json").is_file() and (weights_dir() / "resnet-real.safetensors").is_file()


def test_missing_data_message(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNBENCH_FASHION_MNIST", str(tmp_path))
    with pytest.raises(ValueError, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist_dir()


def test_cli_tiny_build_is_deterministic_and_resumable(tmp_path, capsys):
    only = ["--only", "generator", "miniworld/vit-real"]
    assert cli_build(["--tiny", "--out", str(tmp_path / "a"), *only]) == 0
    assert cli_build(["--tiny", "--out", str(tmp_path / "b"), *only]) == 0
    fa, fb = tmp_path / "a" / "vit-real.safetensors", tmp_path / "b" / "vit-real.safetensors"
    assert file_sha256(fa) == file_sha256(fb)
    man = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert man["models"]["miniworld/vit-real"]["sha256"] == file_sha256(fa)
    assert man["threads"] == 1 and man["build_config"]["n_main"] == TINY.n_main
    # cross-check: training the same entry directly gives the same tensors as the file
    from safetensors.torch import load_file
    from synbench.miniworld.zoo import load_generator
    sd, _ = train_model("miniworld/vit-real", TINY, load_generator(tmp_path / "a"))
    disk = load_file(str(fa))
    assert set(sd) == set(disk) and all(torch.equal(sd[k], disk[k]) for k in sd)
    capsys.readouterr()
    assert cli_build(["--tiny", "--out", str(tmp_path / "a"), *only]) == 0
    assert "up to date" in capsys.readouterr().out
    assert cli_build(["--tiny", "--out", str(tmp_path / "a"), "--only", "miniworld/zzz"]) == 2


@pytest.mark.parametrize("name", [s for s in SET_NAMES if s != "a"])
def test_every_set_tiny(name, tmp_path):
    ds = open_dataset(f"miniworld/{name}", n=8, cache=tmp_path)
    assert len(ds) == 8 and ds.name == f"miniworld/{name}"
    x, y, i = ds[5]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and i == 5
    assert (y == -1) == name.startswith("ood")
    assert ds.depth(5).shape == (1, 32, 32) and float(ds.depth(5).min()) > 0
    xb, yb, ib = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 3, 32, 32) and ib.tolist() == [0, 1, 2, 3]
    assert list(tmp_path.glob("*.npz")), "built set was not cached"


def test_suite_matches_sections_layout():
    s = suite()
    assert set(s) >= {"id", "r", "a", "ood", "cue_conflict", "in9", "focus", "depth"}
    assert set(s["in9"]) >= {"original", "mixed_same", "mixed_rand"}
    assert all(m in zoo_table(FULL) for m in MODELS) and len(MODELS) == 9
    assert all(m in zoo_table(FULL) for g in ABLATION_GRIDS.values() for m in g)


@pytest.mark.skipif(not SHIPPED, reason="the package ships no MiniWorld weights yet")
def test_shipped_weights_match_manifest_and_budget():
    man = json.loads((weights_dir() / "manifest.json").read_text())
    files = [man["generator"]] + list(man["models"].values())
    for e in files:
        assert file_sha256(weights_dir() / e["file"]) == e["sha256"], e["file"]
    assert set(man["models"]) == set(zoo_table(FULL))
    total = sum(f.stat().st_size for f in weights_dir().iterdir() if f.is_file())
    assert total <= 40 * 2**20, f"weights are {total / 2**20:.1f} MB (> 40 MB)"


@pytest.mark.skipif(not SHIPPED, reason="the package ships no MiniWorld weights yet")
def test_shipped_models_load_and_agree_with_quality_json():
    ds = open_dataset("miniworld/id", limit=400)
    x, y = ds.images.float() / 255.0, torch.as_tensor(np.array(ds.samples.label.values))
    q = json.loads((weights_dir() / "quality.json").read_text()) if (weights_dir() / "quality.json").is_file() else None
    for name in MODELS:
        m = load_model(name)
        assert m.spec.name == name and m.label_space.n_classes == 10
        with torch.no_grad(): acc = float((m(x).argmax(1) == y).float().mean())
        if q is not None:   # 400 of the 2000 ID images: within sampling error of the reported accuracy
            assert abs(acc - q["id_accuracy"][name]["id_acc"]) < 0.1, name


@pytest.mark.skipif(not SHIPPED, reason="the package ships no MiniWorld weights yet")
def test_runs_through_the_sections():
    sections = pytest.importorskip("synbench.sections")
    recs = sections.calibration("miniworld/resnet-real", suite="miniworld", roles=("id",), limit=64, n_boot=0,
                                cache_dir=os.environ.get("PYTEST_TMP", None))
    err = [r for r in recs if (r.metric if hasattr(r, "metric") else r["metric"]) == "test_error"]
    assert err and 0 <= (err[0].value if hasattr(err[0], "value") else err[0]["value"]) < 0.5
