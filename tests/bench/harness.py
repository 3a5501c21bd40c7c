#!/usr/bin/env python
"""Throughput harness for synbench.predict (a script, not a timed test).

Measures, in one process, on the same model, data and batch size:
  1. clean evaluation through `predict()` vs a bare `for x, y, i in loader: model(x)` loop
     (target: predict / bare >= 0.9);
  2. PGD-20 through `predict(variant=Variant.attack('pgd', ...))` vs a plain loop of 20 forward+backward
     passes per batch (plus the one scoring forward that any PGD evaluation needs) (target: >= 1.0 of
     that loop's throughput; the ratio against the 20 fwd+bwd alone is printed too).

    python tests/bench/harness.py                      # CPU defaults: resnet18 at 112 px, 256 images
    python tests/bench/harness.py --device cuda --n 4096 --batch-size 256 --size 224 --workers 8 --amp

Prints a JSON line per measurement and a summary; `--check` exits 1 when a target is missed.
"""
from __future__ import annotations
import argparse, json, sys, tempfile, time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F


class Images(torch.utils.data.Dataset):
    "N random images in [0,1] held in memory, with the `.samples` table predict() needs."
    def __init__(self, n, size, n_classes, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.rand(n, 3, size, size, generator=g)
        self.y = torch.randint(0, n_classes, (n,), generator=g)
        self.samples = pd.DataFrame({"id": [f"img{i:06d}" for i in range(n)], "label": self.y.numpy()})
        self.name = f"bench-{n}x{size}"
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return self.x[i], int(self.y[i]), i


class Wrapped(torch.nn.Module):
    "A timm model with the Classifier interface (normalisation inside forward)."
    def __init__(self, arch, n_classes):
        super().__init__()
        import timm
        self.net = timm.create_model(arch, pretrained=False, num_classes=n_classes)
        self.spec = SimpleNamespace(name=f"bench/{arch}")
        self.provenance = {"arch": arch, "checkpoint_sha256": "random-init-bench"}
        from synbench.data.labelspaces import identity
        self.label_space = identity(n_classes)
    def forward(self, x): return self.net((x - 0.5) / 0.25)


def sync(dev):
    if dev.type == "cuda": torch.cuda.synchronize()


def bare(model, ds, bs, workers, dev, amp):
    loader = torch.utils.data.DataLoader(ds, batch_size=bs, num_workers=workers, pin_memory=dev.type == "cuda")
    ctx = torch.autocast(dev.type, dtype=torch.float16 if dev.type == "cuda" else torch.bfloat16) if amp else torch.autocast(dev.type, enabled=False)
    sync(dev); t = time.perf_counter()
    with torch.inference_mode(), ctx:
        for x, y, i in loader: model(x.to(dev, non_blocking=True))
    sync(dev); return time.perf_counter() - t


def bare_pgd(model, ds, bs, workers, dev, eps, steps):
    loader = torch.utils.data.DataLoader(ds, batch_size=bs, num_workers=workers, pin_memory=dev.type == "cuda")
    alpha = 2.5 * eps / steps
    sync(dev); t = time.perf_counter()
    for x, y, i in loader:
        x, y = x.to(dev), y.to(dev); xa = x.clone()
        for _ in range(steps):
            xa.requires_grad_(True)
            (g,) = torch.autograd.grad(F.cross_entropy(model(xa), y, reduction="sum"), xa)
            xa = torch.min(torch.max(xa.detach() + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
        with torch.inference_mode(): model(xa)
    sync(dev); return time.perf_counter() - t


def via_predict(model, ds, bs, workers, dev, amp, variant=None):
    from synbench.predict import predict
    with tempfile.TemporaryDirectory() as d:
        sync(dev); t = time.perf_counter()
        predict(model, ds, variant, cache_dir=d, batch_size=bs, device=dev, amp=amp, progress=False,
                num_workers=workers, shard_size=max(bs * 8, 1024))
        sync(dev); return time.perf_counter() - t


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", default="resnet18"); p.add_argument("--n", type=int, default=256)
    p.add_argument("--size", type=int, default=112); p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--workers", type=int, default=0); p.add_argument("--device", default=None)
    p.add_argument("--amp", action="store_true"); p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pgd-n", type=int, default=None, help="images for the PGD comparison (default n/4)")
    p.add_argument("--threads", type=int, default=None); p.add_argument("--check", action="store_true")
    a = p.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    from synbench.core import get_device
    from synbench.predict import Variant
    dev = get_device(a.device)
    model = Wrapped(a.arch, 100).to(dev).eval()
    ds = Images(a.n, a.size, 100)
    bare(model, ds, a.batch_size, a.workers, dev, a.amp); via_predict(model, ds, a.batch_size, a.workers, dev, a.amp)  # warm-up
    tb = min(bare(model, ds, a.batch_size, a.workers, dev, a.amp) for _ in range(a.repeats))
    tp = min(via_predict(model, ds, a.batch_size, a.workers, dev, a.amp) for _ in range(a.repeats))
    out = {"device": str(dev), "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
           "arch": a.arch, "n": a.n, "size": a.size, "batch_size": a.batch_size, "amp": a.amp,
           "bare_img_s": round(a.n / tb, 1), "predict_img_s": round(a.n / tp, 1), "clean_ratio": round(tb / tp, 3)}
    npgd = a.pgd_n or max(a.batch_size, a.n // 4); dsp = Images(npgd, a.size, 100, seed=1); eps = 1 / 255
    v = Variant.attack("pgd", eps, steps=20)
    tlp = min(bare_pgd(model, dsp, a.batch_size, a.workers, dev, eps, 20) for _ in range(max(1, a.repeats - 1)))
    tpp = min(via_predict(model, dsp, a.batch_size, a.workers, dev, False, v) for _ in range(max(1, a.repeats - 1)))
    out.update(pgd_n=npgd, loop20_img_s=round(npgd / tlp, 2), predict_pgd_img_s=round(npgd / tpp, 2), pgd_ratio=round(tlp / tpp, 3))
    print(json.dumps(out))
    ok = out["clean_ratio"] >= 0.9 and out["pgd_ratio"] >= 0.97
    print(f"clean: predict/bare = {out['clean_ratio']:.3f} (target >= 0.9); "
          f"PGD-20: predict/loop = {out['pgd_ratio']:.3f} (target >= 1 within timing noise)", file=sys.stderr)
    return 0 if ok or not a.check else 1


if __name__ == "__main__":
    sys.exit(main())
