"""synbench.data.datasets: validation (found / partial / missing / invalid) of whole trees, bad input refused with a
message naming the folder or file, and the command line. Unit tests of single functions (every layout opens, labels,
metadata, `limit`, `check`'s counts) live beside the code in nbs/45_data.datasets.ipynb."""
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from synbench.testing import NAMES, break_image, fixture_specs, make_fixture_tree
from synbench.data import datasets as D


EXPECTED_LEN = {"imagenet-val": 6, "imagenet-r": 6, "imagenet-a": 6, "imagenet-c": 24, "imagenet-3dcc": 24,
                "inaturalist": 4, "sun": 4, "places": 4, "focus": 6, "cue-conflict": 6, "in9": 18}


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
