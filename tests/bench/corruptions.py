"""Benchmark: synbench.corruptions.common2d vs imagecorruptions on real 224x224 photos (`make bench`).

For each corruption: synbench's ms per image on a batch of 64 (averaged over severities 1-5), with float32 images
in [0, 1] (the usual model input; a new output tensor per call, and written into one reused `out=` tensor) and
with uint8 images (the reference's own input and output), imagecorruptions' ms per image (its public `corrupt`, uint8 in and out, one image at a time; 8 images x 5 severities, glass_blur
1 image x 5 severities because it takes ~1.6 s per image), and their ratio; then the geometric mean of the
ratios (medians of 5 interleaved repetitions), and the peak resident memory after synbench's runs on the batch of 64.

Each corruption is timed in a fresh Python process (`--isolate`, the default): within one long process the
timings depended on what ran before (for example motion blur took 0.9 ms/image alone and 2.4 after the other
corruptions and their references), since glibc's heap, OpenCV's thread pool and the kernel's page state carry over.

synbench runs with torch.set_num_threads(--threads), by default os.cpu_count() (2 on the CI machine); on the CPU a
batch runs as chunks in synbench's pool of job_cores() worker threads (the runner's OMP_NUM_THREADS share, else the
affinity mask), torch on one thread in each and in the caller meanwhile (corruptions.kernels.run_jobs). The reference runs as its users run it: one image at a time,
numpy / OpenCV / Pillow defaults. The header prints the load average (os.getloadavg) before and after, since other
jobs may share the CPU.

`--load N` starts N busy processes (a Python loop each) for the whole run, the competing load a user's run meets
(data-loader workers, other kernels); the header says so. A progress line per corruption goes to stderr.

Not collected by pytest (no test_ prefix). Usage: python tests/bench/corruptions.py [--threads N] [--device cpu] [--load 2]
"""
import argparse, json, math, os, resource, subprocess, sys, time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from icref import ref_corrupt, real_images  # noqa: E402  (the shimmed reference)
from synbench.corruptions.common2d import CORRUPTIONS, corrupt  # noqa: E402


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads (default: os.cpu_count())")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--ref-images", type=int, default=8)
    p.add_argument("--reps", type=int, default=5, help="repetitions per corruption (median); glass_blur runs once")
    p.add_argument("--only", nargs="+", choices=CORRUPTIONS, metavar="NAME", help="time only these corruptions")
    p.add_argument("--no-isolate", dest="isolate", action="store_false",
                   help="time every corruption in this process (default: each in a fresh process)")
    p.add_argument("--load", type=int, default=0, help="busy processes competing for the cores during the run")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)   # worker mode: print one JSON line
    a = p.parse_args(argv)
    names = a.only or CORRUPTIONS
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(a.load if not a.json else 0)]
    try:
        return run(a, names)
    finally:
        for b in busy: b.kill(); b.wait()


def run(a, names):
    if a.isolate and not a.json:
        load0 = os.getloadavg(); ours, oursr, ours8, ref, peak, base = {}, {}, {}, {}, 0.0, 0.0
        for name in names:
            cmd = [sys.executable, __file__, "--json", "--only", name, "--threads", str(a.threads), "--device", a.device,
                   "--batch", str(a.batch), "--ref-images", str(a.ref_images), "--reps", str(a.reps)]
            r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
            ours.update(r["ours"]); oursr.update(r["oursr"]); ours8.update(r["ours8"]); ref.update(r["ref"]); peak = max(peak, r["peak"]); base = max(base, r["base"])
            print(f"[corruptions {len(ours)}/{len(names)}] {name}: float32 {r['ref'][name] / r['ours'][name]:.1f}x, "
                  f"out= {r['ref'][name] / r['oursr'][name]:.1f}x, uint8 {r['ref'][name] / r['ours8'][name]:.1f}x", file=sys.stderr, flush=True)
        report(a, names, ours, oursr, ours8, ref, peak, base, load0, os.getloadavg(), r["device"], isolated=True)
        return
    torch.set_num_threads(a.threads)
    load0 = os.getloadavg()
    imgs = real_images(a.batch)                                   # 64 x 224 x 224 x 3 uint8, real photos
    x8 = torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous().to(a.device)   # uint8, planar
    x = x8.float().div(255)
    sync = torch.cuda.synchronize if x.device.type == "cuda" else (lambda: None)
    base = rss_mb()
    ours, oursr, ours8, ref, peak = {}, {}, {}, {}, base
    reused = torch.empty_like(x)
    for name in names:            # interleaved and repeated (median of a.reps), as other jobs share the machine
        corrupt(x[:4], name, 1); corrupt(x8[:4], name, 1)         # warm caches (kernels, textures)
        ims = imgs[:1] if name == "glass_blur" else imgs[:a.ref_images]
        ref_corrupt(ims[0], name, 1)
        to, tu, t8, tr = [], [], [], []
        for _ in range(1 if name == "glass_blur" else a.reps):
            sync(); t = time.perf_counter()
            for sev in range(1, 6):
                corrupt(x, name, sev, seed=sev)
            sync(); to.append((time.perf_counter() - t) / (5 * a.batch) * 1000)
            peak = max(peak, rss_mb())
            sync(); t = time.perf_counter()
            for sev in range(1, 6):
                corrupt(x, name, sev, seed=sev, out=reused)
            sync(); tu.append((time.perf_counter() - t) / (5 * a.batch) * 1000)
            sync(); t = time.perf_counter()
            for sev in range(1, 6):
                corrupt(x8, name, sev, seed=sev)
            sync(); t8.append((time.perf_counter() - t) / (5 * a.batch) * 1000)
            peak = max(peak, rss_mb())
            t = time.perf_counter()
            for sev in range(1, 6):
                for im in ims:
                    ref_corrupt(im, name, sev)
            tr.append((time.perf_counter() - t) / (5 * len(ims)) * 1000)
        ours[name], oursr[name], ours8[name], ref[name] = (float(np.median(v)) for v in (to, tu, t8, tr))
    load1 = os.getloadavg()
    dev = (torch.cuda.get_device_name(x.device) if x.device.type == "cuda"
           else f"CPU ({os.cpu_count()} cores), {a.threads} torch thread(s)")
    if a.json:
        print(json.dumps({"ours": ours, "oursr": oursr, "ours8": ours8, "ref": ref, "peak": peak, "base": base, "device": dev}))
        return
    report(a, names, ours, oursr, ours8, ref, peak, base, load0, load1, dev, isolated=False)


def report(a, names, ours, oursr, ours8, ref, peak, base, load0, load1, dev, isolated):
    print(f"synbench vs imagecorruptions, 224x224 real photos, batch {a.batch}, severities 1-5; {dev}; "
          f"torch {torch.__version__}; load average (1/5/15 min) {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f} "
          f"before, {load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f} after; "
          f"{'each corruption in a fresh process' if isolated else 'all in one process'}"
          f"{f'; under a competing load of {a.load} busy processes' if a.load else ''}\n")
    print("| corruption | synbench float32 | synbench float32, out= | synbench uint8 | imagecorruptions "
          "| speed-up float32 | speed-up float32, out= | speed-up uint8 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    runs = (("float32 images (a new output tensor per call)", ours), ("float32 images, written into a reused out=", oursr),
            ("uint8 images", ours8))
    ratios = {label: [ref[n] / t[n] for n in names] for label, t in runs}
    for i, name in enumerate(names):
        print(f"| {name} | " + " | ".join(f"{t[name]:.2f}" for _, t in runs) + f" | {ref[name]:.2f} | "
              + " | ".join(f"{ratios[label][i]:.1f}x" for label, _ in runs) + " |")
    print("\n(ms per image)")
    for label, _ in runs:
        r = ratios[label]
        gm = math.exp(sum(math.log(v) for v in r) / len(r))
        print(f"{label}: geometric-mean speed-up {gm:.1f}x over {len(r)} corruptions; slower than the reference: "
              f"{', '.join(n for n, v in zip(names, r) if v < 1) or 'none'}")
    print(f"peak host memory (max RSS of {'the worst benchmark process' if isolated else 'this process'}, sampled after each corruption's synbench runs on the batch of {a.batch}): "
          f"{peak:.0f} MB ({peak - base:.0f} MB above the {base:.0f} MB after loading torch and the images)")


if __name__ == "__main__":
    main()
