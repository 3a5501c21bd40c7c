#!/usr/bin/env python
"""The corruption section's pipeline ceiling: images x cells per second, per-variant passes vs one pass.

A trivial model (a 3x3 average pool and a linear layer: it costs nothing beside the data path) runs over a
photo-based ImageNet-layout tree (`val/<wnid>/<name>.JPEG`, JPEG files of real photos at 375 x 500 px, decoded,
resized to 256 and centre-cropped to 224 as timm's eval transform), through the corruption cells asked for:

  * per-variant passes: one `predict()` call per (corruption, severity) cell, as the corruption section did
    before the one-pass engine, each reading and decoding every image again;
  * one pass: one `predict_many()` call for all the cells, each image read and decoded once.

After one untimed warm-up of each way, each measurement uses a fresh cache (nothing is served from an earlier run); the two ways alternate, and the
median of `--repeats` is reported with the ratio one-pass / per-variant. Both give the same logits (checked).

    python tests/bench/pipeline.py                       # CPU: 32 images, the paper's five corruptions at severity 3
    python tests/bench/pipeline.py --device cuda --n 1024 --batch-size 256 --severities 1 2 3 4 5

Prints progress lines to stderr and one JSON line to stdout. Not collected by pytest (no test_ prefix).
"""
from __future__ import annotations
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
PAPER_2D = ("shot_noise", "motion_blur", "snow", "pixelate", "jpeg_compression")


def photo_tree(root: Path, n: int, classes: int = 8) -> Path:
    "`n` JPEG photos (375 x 500, quality 90) in an ImageNet-layout tree `root/val/<wnid>/`."
    from PIL import Image
    from icref import real_images
    ims = real_images(n, size=500)
    for i, im in enumerate(ims):
        d = root / "val" / f"n{1440764 + i % classes:08d}"; d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(im[:375]).save(d / f"ILSVRC2012_val_{i + 1:08d}.JPEG", quality=90)
    return root


class Folder(torch.utils.data.Dataset):
    "An ImageNet-layout folder read with Pillow, resized to 256 and centre-cropped to 224 (float in [0, 1])."
    def __init__(self, root: Path):
        files = sorted((root / "val").glob("*/*.JPEG"))
        wnids = sorted({f.parent.name for f in files})
        self.samples = pd.DataFrame({"id": [f.stem for f in files], "path": [str(f) for f in files],
                                     "label": [wnids.index(f.parent.name) for f in files]})
        self.name = f"photos-{len(files)}"
    def __len__(self): return len(self.samples)
    def __getitem__(self, i):
        import torchvision.transforms.functional as TF
        from PIL import Image
        with Image.open(self.samples.path.iat[i]) as im:
            x = TF.to_tensor(TF.center_crop(TF.resize(im.convert("RGB"), 256), 224))
        return x, int(self.samples.label.iat[i]), i


class Trivial(torch.nn.Module):
    "Average-pool to 8 x 8 and a linear layer: next to nothing per image."
    def __init__(self, k=8):
        super().__init__()
        self.fc = torch.nn.Linear(3 * 8 * 8, k)
        self.provenance = {"checkpoint_sha256": "bench-trivial"}
    def forward(self, x): return self.fc(torch.nn.functional.adaptive_avg_pool2d(x, 8).flatten(1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=32); p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--corruptions", nargs="+", default=list(PAPER_2D))
    p.add_argument("--severities", nargs="+", type=int, default=[3])
    p.add_argument("--device", default=None); p.add_argument("--workers", type=int, default=None)
    p.add_argument("--repeats", type=int, default=3); p.add_argument("--threads", type=int, default=None)
    a = p.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    from synbench.core import get_device
    from synbench.predict import Variant, predict, predict_many, job_cores
    dev = get_device(a.device)
    torch.manual_seed(0); model = Trivial().to(dev).eval()
    cells = [Variant.corruption(c, s) for c in a.corruptions for s in a.severities]
    log = lambda s: print(f"[pipeline] {s}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        ds = Folder(photo_tree(Path(tmp) / "tree", a.n))
        kw = dict(batch_size=a.batch_size, device=dev, progress=False, num_workers=a.workers, shard_size=max(a.batch_size, 256))
        def per_variant(k):
            return [predict(model, ds, v, cache_dir=Path(tmp) / f"pv{k}", **kw) for v in cells]
        def one_pass(k):
            return predict_many(model, ds, cells, cache_dir=Path(tmp) / f"op{k}", **kw)
        one_pass("warm"); per_variant("warm")              # untimed: first-call imports, caches, allocator
        tv, to = [], []
        for k in range(a.repeats):                       # alternated, so a busy spell cannot land on one way only
            for name, f, acc in (("per-variant", per_variant, tv), ("one pass", one_pass, to)):
                t = time.perf_counter(); out = f(k); acc.append(time.perf_counter() - t)
                log(f"repeat {k + 1}/{a.repeats} {name}: {len(cells)} cells x {a.n} images in {acc[-1]:.2f} s")
                if name == "per-variant": ref = out
                else: assert all(np.array_equal(x.logits, y.logits) for x, y in zip(ref, out)), "one pass changed the logits"
    mv, mo = statistics.median(tv), statistics.median(to)
    res = {"device": str(dev), "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"CPU, {job_cores()} core(s)",
           "n": a.n, "cells": len(cells), "batch_size": a.batch_size,
           "per_variant_img_cells_s": round(a.n * len(cells) / mv, 1), "one_pass_img_cells_s": round(a.n * len(cells) / mo, 1),
           "one_pass_over_per_variant": round(mv / mo, 2)}
    print(json.dumps(res))
    return res


if __name__ == "__main__":
    main()
