"""synbench.data.datasets: every layout opens from a tiny real-photo tree, validates (found / partial /
missing / invalid), and refuses bad input with a message naming the folder or file."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from synbench.testing import (A_WNIDS, C_CELLS, CUE_CATS, FOCUS_ROWS, IN9_CLASSES, NAMES, R_WNIDS, VAL_WNIDS,
                             break_image, fixture_specs, make_fixture_tree)
from synbench.data import datasets as D


def _timm_list(kind):
    "timm's WNID list, read here directly from the file (independent of synbench)."
    import timm
    return (Path(timm.__file__).parent / "data" / "_info" / f"{kind}_synsets.txt").read_text().split()


# ---------------------------------------------------------------- every layout opens (fixture tests)

EXPECTED_LEN = {"imagenet-val": 6, "imagenet-r": 6, "imagenet-a": 6, "imagenet-c": 24, "imagenet-3dcc": 24,
                "inaturalist": 4, "sun": 4, "places": 4, "focus": 6, "cue-conflict": 6, "in9": 18}


@pytest.mark.parametrize("name", NAMES)
def test_every_layout_opens(dataset_tree, name):
    ds = D.open_dataset(name, dataset_tree)
    assert len(ds) == EXPECTED_LEN[name]
    s = ds.samples
    assert list(s.columns[:3]) == ["id", "path", "label"]
    assert s["id"].is_unique and s["id"].str.startswith(name + "/").all()
    assert all(Path(p).is_file() for p in s["path"])
    x, y, i = ds[len(ds) - 1]
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.shape[0] == 3
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0 and float(x.std()) > 0.01  # a real photo, not blank
    assert (y, i) == (int(s["label"].iloc[-1]), len(ds) - 1)
    assert ds.label_space == D.get_dataset_spec(name).label_space
    # ids are stable: the same tree opened twice gives the same ids in the same order
    assert D.open_dataset(name, dataset_tree).samples["id"].tolist() == s["id"].tolist()


def test_imagenet_val_matches_torchvision_imagefolder(dataset_tree):
    "Independent reference: torchvision's ImageFolder enumerates the same files; labels map through the WNID."
    from torchvision.datasets import ImageFolder
    ref = ImageFolder(str(dataset_tree / "imagenet/val"))
    ds = D.open_dataset("imagenet-val", dataset_tree)
    assert [p for p, _ in ref.samples] == ds.samples["path"].tolist()
    in1k = _timm_list("imagenet")
    assert [in1k.index(ref.classes[c]) for _, c in ref.samples] == ds.samples["label"].tolist()
    assert set(ds.samples["label"]) == {281, 812, 967}  # tabby cat, space shuttle, espresso


@pytest.mark.parametrize("name,kind,wnids", [("imagenet-r", "imagenet_r", R_WNIDS), ("imagenet-a", "imagenet_a", A_WNIDS)])
def test_r_a_labels_are_positions_in_200_class_list(dataset_tree, name, kind, wnids):
    lst = _timm_list(kind)
    ds = D.open_dataset(name, dataset_tree)
    assert ds.samples["label"].tolist() == [lst.index(c) for c in ds.samples["class"]]
    assert set(ds.samples["class"]) == set(wnids)
    ds1k = D.open_dataset(name, dataset_tree, label_space="imagenet")
    in1k = _timm_list("imagenet")
    assert ds1k.samples["label"].tolist() == [in1k.index(c) for c in ds1k.samples["class"]]
    assert ds1k.label_space == "imagenet"


def test_corruption_metadata_and_pairing(dataset_tree):
    ds = D.open_dataset("imagenet-c", dataset_tree)
    s = ds.samples
    assert set(s["corruption"]) == set(C_CELLS["corruption"]) and set(s["severity"]) == {1, 2}
    assert s["severity"].dtype.kind == "i"
    # every cell holds the same base images (the same val file names)
    keys = s.groupby(["corruption", "severity"])["key"].apply(lambda k: tuple(sorted(k)))
    assert keys.nunique() == 1
    assert s["id"].iloc[0].startswith("imagenet-c/shot_noise/1/")
    sub = D.open_dataset("imagenet-c", dataset_tree, corruption=["snow"], severity="2")
    assert set(zip(sub.samples["corruption"], sub.samples["severity"])) == {("snow", 2)}


def test_cue_conflict_metadata(dataset_tree):
    s = D.open_dataset("cue-conflict", dataset_tree).samples
    cats = json.loads(D.resource_path("cue_conflict_16class_imagenet_indices.json").read_text())["categories"]
    for _, r in s.iterrows():
        name = Path(r["path"]).name
        shape, texture = name.split("-")[0].rstrip("0123456789"), name.split("-")[1].split(".")[0].rstrip("0123456789")
        assert (r["shape"], r["texture"]) == (shape, texture)
        assert r["label"] == sorted(cats).index(shape) == list(cats).index(shape)
        assert Path(r["path"]).parent.name == shape


def test_cue_conflict_and_focus_rules_have_one_home():
    "The cue-conflict parser and categories live in data.labelspaces, FOCUS's rule in data.datasets; data.datasets and metrics.bias re-export the same objects."
    from synbench.metrics import bias
    from synbench.data import labelspaces as L
    assert bias.parse_cue_conflict_name is D.parse_cue_conflict_name is L.parse_cue_conflict_name
    assert bias.cue_conflict_categories is D.cue_conflict_categories is L.cue_conflict_categories
    assert bias.n_uncommon is D.n_uncommon
    for n, st in (("airplane1-bicycle2.png", ("airplane", "bicycle")), ("knife10-oven3.png", ("knife", "oven")), ("x_cat7-cat9.png", ("cat", "cat"))):
        assert D.parse_cue_conflict_name(n) == st
    assert D.cue_conflict_categories() == tuple(sorted(D.cue_conflict_categories()))


# FOCUS's own table, by attribute index, as in priyathamkat/focus src/experiments/evaluate_model.py:
# (categories truck..bird; time: day 0 night 1 none 2; weather: ... foggy 1, raining 3, snowing 4;
# locations: forest 0 grass 1 indoors 2 rocks 3 sand 4 street 5 snow 6 water 7 none 8)
_UNCOMMON_IDX = {"truck": ({1}, {1, 3, 4}, {2, 3, 6, 7}), "cat": ({1}, {1, 3, 4}, {0, 3, 4, 6, 7}),
                 "frog": (set(), {1, 3, 4}, {2, 5, 6})}
_TIMES = ["day", "night", "none"]
_WEATHERS = ["cloudy", "foggy", "partly cloudy", "raining", "snowing", "sunny", "none"]
_LOCS = ["forest", "grass", "indoors", "rocks", "sand", "street", "snow", "water", "none"]


def test_focus_rows_attributes_and_uncommon_count(dataset_tree):
    ds = D.open_dataset("focus", dataset_tree)
    s = ds.samples.set_index("key")
    assert len(s) == len(FOCUS_ROWS)
    cats = ["truck", "car", "plane", "ship", "cat", "dog", "horse", "deer", "frog", "bird"]
    for fn, cat, t, w, locs, hum in FOCUS_ROWS:
        r = s.loc[fn.lstrip("/")]
        assert (r["category"], r["time"], r["weather"], r["locations"], r["humans"]) == (cat, t, w, ", ".join(sorted(locs)), hum)
        assert r["label"] == cats.index(cat)
        ut, uw, ul = _UNCOMMON_IDX[cat]
        k = int(_TIMES.index(t) in ut) + int(_WEATHERS.index(w) in uw) + int(any(_LOCS.index(l) in ul for l in locs))
        assert r["n_uncommon"] == k
    assert sorted(s["n_uncommon"]) == [0, 0, 0, 1, 2, 3]  # by hand from FOCUS's table


def test_focus_uncommon_agrees_with_bias_module(dataset_tree):
    bias = pytest.importorskip("synbench.metrics.bias")
    s = D.open_dataset("focus", dataset_tree).samples
    for r in s.itertuples():
        assert r.n_uncommon == bias.n_uncommon(r.category, r.time, r.weather, r.locations.split(", "))


def test_in9_variants_share_files(dataset_tree):
    s = D.open_dataset("in9", dataset_tree).samples
    assert set(s["variant"]) == {"original", "mixed_same", "mixed_rand"}
    assert s.groupby("variant")["key"].apply(lambda k: tuple(sorted(k))).nunique() == 1
    assert s["label"].tolist() == [D.IN9_FOLDERS.index(k.split("/")[0]) for k in s["key"]]
    assert "02_wheeled vehicle" in set(s["class"])  # the real folder name has a space
    one = D.open_dataset("in9", dataset_tree, variant="mixed_rand")
    assert set(one.samples["variant"]) == {"mixed_rand"} and len(one) == 6


def test_ood_sets_have_no_label_space(dataset_tree):
    for n in ("inaturalist", "sun", "places"):
        ds = D.open_dataset(n, dataset_tree)
        assert ds.label_space is None and set(ds.samples["label"]) == {-1}
        assert ds.samples["key"].str.startswith("images/").all()


def test_transform_is_applied(dataset_tree):
    from torchvision import transforms as T
    tf = T.Compose([T.Resize(16), T.CenterCrop(16), T.ToTensor()])
    x, _, _ = D.open_dataset("sun", dataset_tree, transform=tf)[0]
    assert x.shape == (3, 16, 16)
    x0, _, _ = D.open_dataset("sun", dataset_tree)[0]
    assert x0.shape == (3, 40, 48)
    assert torch.allclose(x0, T.ToTensor()(D.load_image(D.open_dataset("sun", dataset_tree).samples["path"][0])))


def test_dataloader_batches(dataset_tree):
    from torchvision import transforms as T
    ds = D.open_dataset("imagenet-r", dataset_tree, transform=T.Compose([T.Resize((24, 24)), T.ToTensor()]))
    x, y, i = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 3, 24, 24) and i.tolist() == [0, 1, 2, 3] and y.dtype == torch.int64


# ---------------------------------------------------------------- limit: seeded, stratified, deterministic

def test_stratified_quotas_and_class_independence():
    keys = pd.DataFrame({"key": [f"{c}/{j}" for c in "abc" for j in range(10)] + [f"d/{j}" for j in range(30)],
                         "label": [0] * 10 + [1] * 10 + [2] * 10 + [3] * 30})
    ch = D._stratified_choice(keys, 12, seed=5)
    per = pd.Series([k.split("/")[0] for k in ch]).value_counts().to_dict()
    assert per == {"a": 2, "b": 2, "c": 2, "d": 6}  # proportional to class size
    assert ch == D._stratified_choice(keys, 12, seed=5)
    assert ch != D._stratified_choice(keys, 12, seed=6)
    # a class's picks do not depend on which other classes exist (when its quota is the same)
    half = keys[keys["label"].isin([0, 1])]
    ch2 = D._stratified_choice(half, 4, seed=5)
    assert {k for k in ch if k[0] in "ab"} == ch2
    # remainders go to the largest fractional parts; total is exact
    assert len(D._stratified_choice(keys, 7, seed=0)) == 7


def test_limit_on_datasets(dataset_tree):
    a = D.open_dataset("imagenet-val", dataset_tree, limit=3, seed=0)
    assert len(a) == 3 and a.samples["label"].nunique() == 3
    assert a.metadata["limit"] == 3 and a.metadata["seed"] == 0
    assert D.open_dataset("imagenet-val", dataset_tree, limit=100).samples.shape[0] == 6
    c = D.open_dataset("imagenet-c", dataset_tree, limit=3, seed=2).samples
    assert len(c) == 3 * 4 and c.groupby(["corruption", "severity"]).size().eq(3).all()
    assert c.groupby(["corruption", "severity"])["key"].apply(lambda k: tuple(sorted(k))).nunique() == 1
    for bad in (0, -1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="limit must be a positive integer"):
            D.open_dataset("imagenet-val", dataset_tree, limit=bad)


# ---------------------------------------------------------------- validators: found / partial / missing / invalid

@pytest.mark.parametrize("name", NAMES)
def test_validator_found_partial_missing(tmp_path, name):
    spec = fixture_specs()[name]
    missing = D.check(tmp_path, specs=[spec]).iloc[0]
    assert missing["status"] == "missing"
    assert str(tmp_path / spec.folders[0]) in missing["action"] and spec.url in missing["action"]
    tree = make_fixture_tree(tmp_path, names=[name])
    found = D.check(tmp_path, specs=[spec]).iloc[0]
    assert found["status"] == "found", found["detail"]
    assert found["n_found"] == EXPECTED_LEN[name] and found["action"] == ""
    # remove one image -> partial, and the count says so
    victim = sorted(p for p in tree[name].rglob("*") if p.is_file() and p.suffix.lower() in (".jpeg", ".jpg", ".png"))[0]
    victim.unlink()
    part = D.check(tmp_path, specs=[spec]).iloc[0]
    assert part["status"] == "partial", part["detail"]
    if name == "focus":
        assert "missing" in part["detail"] and str(victim) in part["detail"]
        assert part["n_found"] == part["n_expected"] - 1
    else:
        assert part["n_found"] == EXPECTED_LEN[name] - 1 and f"{EXPECTED_LEN[name] - 1:,} of" in part["detail"]
    # against the real spec the tiny tree is never complete (except FOCUS, counted against its own db)
    real = D.check(tmp_path, names=[name]).iloc[0]
    assert real["status"] == "partial"


def test_check_real_counts_and_expected_cells(dataset_tree):
    r = D.check(dataset_tree).set_index("dataset")
    assert r.loc["imagenet-val", "n_expected"] == 50_000 and r.loc["imagenet-val", "classes_expected"] == 1000
    assert r.loc["imagenet-r", "n_expected"] == 30_000 and r.loc["imagenet-a", "n_expected"] == 7_500
    assert r.loc["imagenet-c", "n_expected"] == 25 * 50_000 and r.loc["imagenet-3dcc", "n_expected"] == 25 * 50_000
    assert r.loc["cue-conflict", "n_expected"] == 1_280 and r.loc["in9", "n_expected"] == 3 * 4_050
    assert all(r.loc[n, "n_expected"] == 10_000 for n in ("inaturalist", "sun", "places"))
    assert "21 of 25 expected corruption x severity cells missing" in r.loc["imagenet-c", "detail"]
    assert list(D.check(dataset_tree).columns) == list(D.CHECK_COLUMNS)


def test_check_notes_extra_corruptions(tmp_path):
    tree = make_fixture_tree(tmp_path, names=["imagenet-c"])
    shutil.copytree(tree["imagenet-c"] / "snow", tree["imagenet-c"] / "gaussian_noise")
    spec = fixture_specs()["imagenet-c"]
    row = D.check(tmp_path, specs=[spec]).iloc[0]
    assert row["status"] == "found" and "gaussian_noise" in row["detail"]
    assert "gaussian_noise" in set(D.open_dataset(spec, tmp_path).samples["corruption"])


def test_check_deep_finds_unreadable(tmp_path):
    tree = make_fixture_tree(tmp_path, names=["cue-conflict"])
    bad = break_image(sorted(tree["cue-conflict"].rglob("*.png"))[0])
    spec = fixture_specs()["cue-conflict"]
    assert D.check(tmp_path, specs=[spec]).iloc[0]["status"] == "found"  # counting does not decode
    row = D.check(tmp_path, specs=[spec], deep=True).iloc[0]
    assert row["status"] == "partial" and str(bad) in row["detail"] and "unreadable" in row["detail"]


# ---------------------------------------------------------------- bad input

def _fresh(tmp_path, name):
    return make_fixture_tree(tmp_path, names=[name])[name]


def test_wrong_layout_class_folders_flat(tmp_path):
    folder = _fresh(tmp_path, "imagenet-r")
    for p in list(folder.rglob("*.jpg")): shutil.move(str(p), folder / f"{p.parent.name}_{p.name}")
    for d in [d for d in folder.iterdir() if d.is_dir()]: d.rmdir()
    with pytest.raises(ValueError, match=r"folder '.*imagenet-r' has 6 image files directly in it; expected imagenet-r/<wnid>"):
        D.open_dataset("imagenet-r", tmp_path)
    row = D.check(tmp_path, names=["imagenet-r"]).iloc[0]
    assert row["status"] == "invalid" and "image files directly" in row["detail"] and "fix the layout" in row["action"]


def test_unknown_class_folder_does_not_fit_label_space(tmp_path):
    folder = _fresh(tmp_path, "imagenet-r")
    (folder / "n01440764").mkdir()  # tench: an ImageNet class, but not one of ImageNet-R's 200
    shutil.copy(next(folder.rglob("*.jpg")), folder / "n01440764" / "x.jpg")
    with pytest.raises(ValueError, match="'n01440764'"):
        D.open_dataset("imagenet-r", tmp_path)


def test_wrong_layout_corruptions_without_severity(tmp_path):
    folder = _fresh(tmp_path, "imagenet-c")
    sev = folder / "snow" / "1"
    for w in list(sev.iterdir()): shutil.move(str(w), folder / "snow" / w.name)
    with pytest.raises(ValueError, match=r"snow' has sub-folder\(s\) 'n0.*expected severity folders 1 \.\.\. 5"):
        D.open_dataset("imagenet-c", tmp_path)
    (tmp_path / "imagenet-3dcc" / "1" / "n01440764").mkdir(parents=True)  # severity folders without corruption level
    with pytest.raises(ValueError, match=r"has no corruption folders \(it has '1'\); expected imagenet-3dcc/<corruption>"):
        D.open_dataset("imagenet-3dcc", tmp_path)


def test_wrong_layout_in9_without_val(tmp_path):
    folder = _fresh(tmp_path, "in9")
    for c in list((folder / "original" / "val").iterdir()): shutil.move(str(c), folder / "original" / c.name)
    (folder / "original" / "val").rmdir()
    with pytest.raises(ValueError, match=r"original' has no 'val' sub-folder; expected original/val/<00_dog"):
        D.open_dataset("in9", tmp_path, variant="original")
    assert len(D.open_dataset("in9", tmp_path, variant="mixed_same")) == 6  # other variants still open
    with pytest.raises(ValueError, match="is not a variant of in9"):
        D.open_dataset("in9", tmp_path, variant="mixed_random")


def test_wrong_layout_cue_conflict(tmp_path):
    folder = _fresh(tmp_path, "cue-conflict")
    f = next((folder / "bear").glob("*.png"))
    f.rename(folder / "bear" / "bear.png")
    with pytest.raises(ValueError, match=r"bear\.png"):
        D.open_dataset("cue-conflict", tmp_path)
    (folder / "bear" / "bear.png").rename(folder / "cat" / "bear1-cat2.png")
    with pytest.raises(ValueError, match="has shape 'bear' but lies in folder 'cat'"):
        D.open_dataset("cue-conflict", tmp_path)


def test_wrong_layout_ood_without_images(tmp_path):
    (tmp_path / "ood" / "SUN" / "images").mkdir(parents=True)
    (tmp_path / "ood" / "SUN" / "images" / "readme.txt").write_text("no images here")
    with pytest.raises(ValueError, match=r"folder '.*SUN' holds no image files"):
        D.open_dataset("sun", tmp_path)


def test_focus_bad_databases(tmp_path):
    folder = _fresh(tmp_path, "focus")
    db = folder / "annotations.db"
    db.rename(folder / "annotations.sqlite")
    with pytest.raises(ValueError, match=r"annotations database '.*annotations\.db' not found"):
        D.open_dataset("focus", tmp_path)
    assert D.check(tmp_path, names=["focus"]).iloc[0]["status"] == "invalid"
    con = sqlite3.connect(db); con.execute("CREATE TABLE things (a TEXT)"); con.commit(); con.close()
    with pytest.raises(ValueError, match="has no table 'annotations'"):
        D.open_dataset("focus", tmp_path)
    db.unlink()
    con = sqlite3.connect(db); con.execute("CREATE TABLE annotations (file_name TEXT, category TEXT)"); con.commit(); con.close()
    with pytest.raises(ValueError, match="lacks column.*time"):
        D.open_dataset("focus", tmp_path)
    db.unlink()
    (folder / "annotations.sqlite").rename(db)
    con = sqlite3.connect(db); con.execute("UPDATE annotations SET weather='hail' WHERE category='cat'"); con.commit(); con.close()
    with pytest.raises(ValueError, match=r"column 'weather' has value\(s\) \['hail'\]"):
        D.open_dataset("focus", tmp_path)
    db.write_bytes(b"this is not a sqlite database at all" * 20)
    with pytest.raises(ValueError, match="cannot read sqlite database"):
        D.open_dataset("focus", tmp_path)


def test_focus_missing_image(tmp_path):
    folder = _fresh(tmp_path, "focus")
    (folder / "cat-common" / "1.jpg").unlink()
    with pytest.raises(ValueError, match=r"1 image\(s\) listed in annotations.db are missing, e.g. '.*cat-common/1.jpg'"):
        D.open_dataset("focus", tmp_path)
    ds = D.open_dataset("focus", tmp_path, skip_corrupt=True)
    assert len(ds) == 5 and ds.n_skipped == 1 and ds.metadata["skipped"][0]["error"] == "file not found"


@pytest.mark.parametrize("name", ["imagenet-val", "cue-conflict", "in9"])
def test_unreadable_image_fails_or_is_skipped(tmp_path, name):
    folder = _fresh(tmp_path, name)
    bad = break_image(sorted(p for p in folder.rglob("*") if p.suffix in (".JPEG", ".png"))[0])
    ds = D.open_dataset(name, tmp_path)
    j = ds.samples["path"].tolist().index(str(bad))
    with pytest.raises(D.UnreadableImageError, match="cannot read image '" + str(bad).replace("(", r"\(")):
        ds[j]
    assert isinstance(D.UnreadableImageError("x"), ValueError)
    ok = D.open_dataset(name, tmp_path, skip_corrupt=True)
    assert len(ok) == len(ds) - 1 and ok.n_skipped == 1
    assert ok.samples.attrs["n_skipped"] == 1 and ok.metadata["skipped"][0]["path"] == str(bad)
    assert str(bad) not in ok.samples["path"].tolist()
    for k in range(len(ok)): ok[k]  # everything left decodes


def test_unknown_dataset_and_arguments(dataset_tree):
    with pytest.raises(ValueError, match="unknown dataset 'imagenet-rr'; did you mean 'imagenet-r'"):
        D.get_dataset_spec("imagenet-rr")
    with pytest.raises(ValueError, match="unknown dataset 'focsu'.*'focus'"):
        D.open_dataset("focsu", dataset_tree)
    with pytest.raises(ValueError, match="dataset name must be a string"):
        D.get_dataset_spec(3)
    with pytest.raises(ValueError, match="got unknown argument"):
        D.open_dataset("sun", dataset_tree, corruption="snow")
    with pytest.raises(ValueError, match="transform must be callable"):
        D.open_dataset("sun", dataset_tree, transform="resize")
    with pytest.raises(IndexError):
        D.open_dataset("sun", dataset_tree)[99]


def test_label_space_must_fit(dataset_tree):
    with pytest.raises(ValueError, match="label space 'cue-conflict' does not fit dataset 'imagenet-val'"):
        D.open_dataset("imagenet-val", dataset_tree, label_space="cue-conflict")
    with pytest.raises(ValueError, match="does not fit dataset 'sun'"):
        D.open_dataset("sun", dataset_tree, label_space="imagenet")
    ls = pytest.importorskip("synbench.data.labelspaces")
    assert D.open_dataset("in9", dataset_tree, label_space=ls.get_labelspace("in9")).label_space == "in9"
    with pytest.raises(ValueError, match="does not fit"):
        D.open_dataset("in9", dataset_tree, label_space=ls.get_labelspace("imagenet-a"))


def test_missing_dataset_and_data_root(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"imagenet-a: not found under .*download https://people.eecs.berkeley.edu/~hendrycks/imagenet-a.tar"):
        D.open_dataset("imagenet-a", tmp_path)
    monkeypatch.delenv("SYNBENCH_DATA", raising=False)
    with pytest.raises(ValueError, match="SYNBENCH_DATA"):
        D.open_dataset("imagenet-a")
    monkeypatch.setenv("SYNBENCH_DATA", str(tmp_path))
    make_fixture_tree(tmp_path, names=["imagenet-a"])
    assert len(D.open_dataset("imagenet-a")) == 6


# ---------------------------------------------------------------- command line

def test_cli_datasets_check(dataset_tree, tmp_path, capsys, monkeypatch):
    rc = D.cli_datasets_check(["--data-root", str(dataset_tree)])
    out = capsys.readouterr().out
    assert rc == 1
    for n in NAMES: assert n in out
    assert "PARTIAL" in out and "FOUND" in out and "not found:" in out
    monkeypatch.setenv("SYNBENCH_DATA", str(tmp_path))
    rc = D.cli_datasets_check(["--datasets", "cue-conflict", "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert rc == 1 and "MISSING" in out and str(tmp_path / "cue-conflict") in out and "texture-vs-shape" in out
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["datasets"][0]["status"] == "missing" and rep["data_root"] == str(tmp_path)
    monkeypatch.delenv("SYNBENCH_DATA")
    assert D.cli_datasets_check([]) == 2
    assert "pass --data-root DIR" in capsys.readouterr().err
    assert D.cli_datasets_check(["--data-root", str(tmp_path), "--datasets", "imagenet-x"]) == 2
    assert "unknown dataset" in capsys.readouterr().err


def test_cli_exit_zero_when_all_found(tmp_path, capsys, monkeypatch):
    make_fixture_tree(tmp_path, names=["sun"])
    sun = fixture_specs()["sun"]
    monkeypatch.setattr(D, "get_dataset_spec", lambda n, _g=D.get_dataset_spec: sun if n == "sun" else _g(n))
    assert D.cli_datasets_check(["--data-root", str(tmp_path), "--datasets", "sun"]) == 0
    assert "1 of 1 datasets found" in capsys.readouterr().out


def test_console_script(dataset_tree):
    exe = Path(sys.executable).parent / "synbench"
    if not exe.exists(): pytest.skip("synbench console script not installed")
    r = subprocess.run([str(exe), "datasets", "check", "--data-root", str(dataset_tree), "--datasets", "in9", "focus"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "in9" in r.stdout and "FOCUS" not in r.stdout.split("\n")[0] and "1 of 2 datasets found" in r.stdout
