"""Tiny dataset trees in each real on-disk layout, built from real photographs.

The photographs are the sample images that ship with scikit-image (`skimage.data`: astronaut, chelsea
the cat, coffee, rocket, ...) and scikit-learn (`china.jpg`, `flower.jpg`), cropped and resized to a few
dozen pixels, so a whole tree builds in well under a second and needs no network.

Use from pytest files (pytest puts tests/ on sys.path) or anywhere else after
`sys.path.insert(0, "<repo>/tests")`:

    from fixtures_datasets import make_fixture_tree, fixture_specs, break_image
    tree = make_fixture_tree(tmp_path)              # {dataset name: dataset folder}
    open_dataset("imagenet-r", tmp_path)            # the data root is tmp_path
    check(tmp_path, specs=list(fixture_specs().values()))   # every layout 'found'

`tests/conftest.py` also provides a session-scoped pytest fixture `dataset_tree` (the data root).
"""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

# What the tree holds: classes and variant cells per dataset (kept small on purpose).
VAL_WNIDS = ("n02123045", "n04266014", "n07920052")  # tabby cat (281), space shuttle (812), espresso (967)
R_WNIDS = ("n01443537", "n01484850", "n01494475")     # first three of timm's imagenet_r_synsets.txt
A_WNIDS = ("n01498041", "n01531178", "n01534433")     # first three of timm's imagenet_a_synsets.txt
C_CELLS = {"corruption": ("shot_noise", "snow"), "severity": (1, 2)}
CC3D_CELLS = {"corruption": ("fog_3d", "near_focus"), "severity": (1, 2)}
OOD = {"inaturalist": "iNaturalist", "sun": "SUN", "places": "Places"}
CUE_CATS = ("airplane", "bear", "cat")
IN9_CLASSES = ("00_dog", "01_bird", "02_wheeled vehicle")
IN9_CELLS = {"variant": ("original", "mixed_same", "mixed_rand")}
FOCUS_ROWS = (  # file_name, category, time, weather, locations, humans
    ("/truck-snow/1.jpg", "truck", "night", "snowing", ["snow", "street"], "no"),
    ("/truck-common/2.jpg", "truck", "day", "sunny", ["street"], "yes"),
    ("/cat-common/1.jpg", "cat", "day", "sunny", ["indoors"], "no"),
    ("/cat-forest/7.jpg", "cat", "day", "cloudy", ["forest", "grass"], "no"),
    ("/frog-night/3.jpg", "frog", "night", "none", ["grass"], "no"),
    ("/frog-indoors/4.jpg", "frog", "day", "raining", ["indoors", "water"], "no"),
)
NAMES = ("imagenet-val", "imagenet-r", "imagenet-a", "imagenet-c", "imagenet-3dcc", "inaturalist", "sun",
         "places", "focus", "cue-conflict", "in9")

# The real CREATE TABLE of FOCUS's BGVarDB (priyathamkat/focus, src/experiments/database.py).
FOCUS_SCHEMA = ("CREATE TABLE if not exists annotations (file_name TEXT PRIMARY KEY, category TEXT, "
                "time TEXT, weather TEXT, locations TEXT, humans TEXT)")


@lru_cache(maxsize=1)
def photo_pool() -> tuple:
    "Real photographs as RGB uint8 arrays, downsized to at most 160 px a side."
    import skimage.data as sd
    from sklearn.datasets import load_sample_image
    arrays = [getattr(sd, n)() for n in ("chelsea", "rocket", "coffee", "astronaut", "immunohistochemistry",
                                         "hubble_deep_field", "camera", "coins", "brick", "grass", "gravel", "moon")]
    arrays += [load_sample_image(n) for n in ("china.jpg", "flower.jpg")]
    out = []
    for a in arrays:
        im = Image.fromarray(a).convert("RGB")
        im.thumbnail((160, 160))
        out.append(np.asarray(im))
    return tuple(out)


def photo(k: int, seed: int = 0, size: tuple = (48, 40)) -> Image.Image:
    "A seeded random crop of the k-th pool photo, resized to `size` (w, h)."
    pool = photo_pool()
    a = pool[k % len(pool)]
    rng = np.random.default_rng([seed, k])
    h, w = a.shape[:2]
    ch, cw = int(h * rng.uniform(0.6, 1.0)), int(w * rng.uniform(0.6, 1.0))
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    return Image.fromarray(a[y:y + ch, x:x + cw]).resize(size, Image.BILINEAR)


def _noisy(im: Image.Image, level: int, seed: int) -> Image.Image:
    a = np.asarray(im).astype(np.int16)
    a = a + np.random.default_rng(seed).normal(0, 8 * level, a.shape).astype(np.int16)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def _save(im: Image.Image, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, quality=85) if path.suffix.lower() in (".jpg", ".jpeg") else im.save(path)


def make_fixture_tree(root, names=None, n_per_class: int = 2, seed: int = 0) -> dict:
    """Build tiny datasets under the data root `root`, each in its real layout; returns {name: dataset folder}.

    `names` picks datasets (default: all of NAMES). Rebuilding over an existing tree overwrites its files."""
    root = Path(root)
    names = list(NAMES if names is None else names)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"no fixture for {unknown}; fixtures exist for {', '.join(NAMES)}")
    out, k = {}, 0

    def nxt():
        nonlocal k
        k += 1
        return k

    for n in names:
        if n in ("imagenet-val", "imagenet-r", "imagenet-a"):
            folder = root / {"imagenet-val": "imagenet/val", "imagenet-r": "imagenet-r", "imagenet-a": "imagenet-a"}[n]
            wnids = {"imagenet-val": VAL_WNIDS, "imagenet-r": R_WNIDS, "imagenet-a": A_WNIDS}[n]
            for ci, w in enumerate(wnids):
                for j in range(n_per_class):
                    name = (f"ILSVRC2012_val_{ci * 100 + j + 1:08d}.JPEG" if n == "imagenet-val"
                            else f"{'art' if n == 'imagenet-r' else '0.0001'}_{j}.jpg")
                    _save(photo(ci if n == "imagenet-val" else nxt(), seed), folder / w / name)
            if n == "imagenet-a":
                (folder / "README.txt").write_text("ImageNet-A fixture (the real archive has a README too)\n")
        elif n in ("imagenet-c", "imagenet-3dcc"):
            folder = root / n
            cells = C_CELLS if n == "imagenet-c" else CC3D_CELLS
            for c in cells["corruption"]:
                for s in cells["severity"]:
                    for ci, w in enumerate(VAL_WNIDS):
                        for j in range(n_per_class):
                            base = photo(ci * 7 + j, seed)
                            _save(_noisy(base, s, seed + s), folder / c / str(s) / w / f"ILSVRC2012_val_{ci * 100 + j + 1:08d}.JPEG")
        elif n in OOD:
            folder = root / "ood" / OOD[n]
            for j in range(2 * n_per_class):
                _save(photo(nxt(), seed), folder / "images" / f"{OOD[n].lower()}_{j:04x}.jpg")
        elif n == "focus":
            folder = root / "focus"
            folder.mkdir(parents=True, exist_ok=True)
            db = folder / "annotations.db"
            if db.exists(): db.unlink()
            con = sqlite3.connect(db)
            con.execute(FOCUS_SCHEMA)
            for fn, cat, t, w, locs, hum in FOCUS_ROWS:
                con.execute("REPLACE INTO annotations VALUES (?, ?, ?, ?, ?, ?)", (fn, cat, t, w, ", ".join(sorted(locs)), hum))
                _save(photo(nxt(), seed), folder / fn.lstrip("/"))
            con.commit()
            con.close()
        elif n == "cue-conflict":
            folder = root / "cue-conflict"
            for ci, shape in enumerate(CUE_CATS):
                for j in range(n_per_class):
                    texture = CUE_CATS[(ci + j + 1) % len(CUE_CATS)]
                    _save(photo(nxt(), seed, size=(56, 56)), folder / shape / f"{shape}{j + 1}-{texture}{j + 2}.png")
        elif n == "in9":
            folder = root / "bg_challenge"
            for v in IN9_CELLS["variant"]:
                for ci, c in enumerate(IN9_CLASSES):
                    for j in range(n_per_class):
                        im = photo(ci * 5 + j, seed)
                        if v != "original":
                            im = _noisy(im, 1 + (v == "mixed_rand"), seed)
                        _save(im, folder / v / "val" / c / f"n0208{ci:04d}_{j + 10}.JPEG")
        out[n] = folder
    return out


def fixture_specs(n_per_class: int = 2) -> dict:
    "The registered specs scaled to what `make_fixture_tree` builds, so that `check` reports every layout 'found'."
    from synbench.data.datasets import get_dataset_spec
    s = {n: get_dataset_spec(n) for n in NAMES}
    k = n_per_class
    out = {
        "imagenet-val": replace(s["imagenet-val"], classes=VAL_WNIDS, n_expected=3 * k),
        "imagenet-r": replace(s["imagenet-r"], classes=R_WNIDS, n_expected=3 * k),
        "imagenet-a": replace(s["imagenet-a"], classes=A_WNIDS, n_expected=3 * k),
        "imagenet-c": replace(s["imagenet-c"], classes=VAL_WNIDS, n_expected=3 * k, paper_variants=C_CELLS),
        "imagenet-3dcc": replace(s["imagenet-3dcc"], classes=VAL_WNIDS, n_expected=3 * k, paper_variants=CC3D_CELLS),
        "focus": replace(s["focus"], classes=("truck", "cat", "frog")),
        "cue-conflict": replace(s["cue-conflict"], classes=CUE_CATS, n_expected=3 * k),
        "in9": replace(s["in9"], classes=IN9_CLASSES, n_expected=3 * k, paper_variants=IN9_CELLS),
    }
    for n in OOD:
        out[n] = replace(s[n], n_expected=2 * k)
    return {n: out[n] for n in NAMES}


def break_image(path) -> Path:
    "Truncate an image file to its first 64 bytes so that PIL cannot decode it; returns the path."
    path = Path(path)
    data = path.read_bytes()[:64]
    path.write_bytes(data)
    return path
