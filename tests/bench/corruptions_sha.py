"""One SHA-256 over the outputs of every 2D corruption (float32 and uint8 photos from skimage.data, odd sizes, floats
that are not 8-bit levels, severities 1, 3, 5, fixed seeds, with and without out=) and every 3D corruption, to show that
a refactor or a speed change left the bytes as they were: run it on two trees and compare the last line.
Per-corruption digests go to stderr. Usage: PYTHONPATH=<tree> python tests/bench/corruptions_sha.py [names...]
(names: only those 2D corruptions, no 3D). Not collected by pytest (no test_ prefix)."""
import hashlib, sys, numpy as np, torch, skimage.data
import torch.nn.functional as F
import synbench
from synbench.corruptions.common2d import CORRUPTIONS, corrupt
from synbench.corruptions.depth3d import CORRUPTIONS_3D, corrupt3d, example_scene
print(synbench.__file__, file=sys.stderr)
def photo(a, s=64):
    t = torch.from_numpy(np.ascontiguousarray(a[:min(a.shape[:2]), :min(a.shape[:2])])).permute(2, 0, 1)[None].float()
    return F.interpolate(t, size=(s, s), mode='bilinear', antialias=True).round().clamp(0, 255).to(torch.uint8)
x8 = torch.cat([photo(skimage.data.astronaut()), photo(skimage.data.chelsea()), photo(skimage.data.coffee()),
                photo(skimage.data.rocket()), photo(skimage.data.astronaut(), 64).flip(-1)] * 2)  # 10 images: several chunks
x8 = torch.cat([x8[:, :, :, :48], x8[:, :, :, 16:]], 0)[:, :, :48, :]   # 20 crops of 48x48
xw = torch.cat([photo(skimage.data.coffee(), 80)[:, :, :, :]] * 3)[:, :, :57, :71].contiguous()   # odd sizes
xf = x8.float() / 255
xr = torch.rand(3, 3, 40, 52, generator=torch.Generator().manual_seed(1))          # not 8-bit levels
names = sys.argv[1:] or CORRUPTIONS
h, per = hashlib.sha256(), {}
for name in names:
    hn = hashlib.sha256()
    for x in (xf, x8, xw, xw.float() / 255, xr):
        for sev in (1, 3, 5):
            if name == 'glass_blur' and x is not xf and x is not x8 and sev != 3: continue
            y = corrupt(x, name, sev, seed=7 + sev)
            o = torch.empty_like(x); y2 = corrupt(x, name, sev, seed=7 + sev, out=o)
            hn.update(y.numpy().tobytes()); hn.update(y2.numpy().tobytes()); hn.update(str(y.dtype).encode())
    per[name] = hn.hexdigest()[:16]; h.update(hn.digest())
    print(name, per[name], file=sys.stderr)
if not sys.argv[1:]:
    xs, ds = example_scene(48, 2)
    for name in CORRUPTIONS_3D:
        hn = hashlib.sha256()
        for x in (xs, (xs * 255 + .5).to(torch.uint8)):
            for sev in (1, 3, 5):
                y = corrupt3d(x, ds, name, sev, seed=3)
                hn.update(y.numpy().tobytes())
        per[name] = hn.hexdigest()[:16]; h.update(hn.digest())
        print(name, per[name], file=sys.stderr)
print(h.hexdigest())
