"""synbench.corruptions.common2d against the reference generator, `imagecorruptions` (test-only dependency), on
real 224x224 photos from scikit-image (astronaut, coffee, chelsea, rocket, ..., then crops and flips of them).

The reference runs with two shims (see tests/icref.py): `np.float_ = np.float64` (fog) and skimage's
`gaussian(multichannel=True)` translated to `channel_axis=-1` (glass_blur, gaussian_blur). We compare with the
reference's float result before its final `np.uint8` truncation (`icref.ref_corrupt_float`).

- deterministic corruptions: mean |ours - reference| <= 2/255 per severity;
- random draws fed from ours to the reference (motion angle, elastic field, frost texture + crop, glass offsets
  on a 40x40 crop, because the reference's Python loop is slow): mean |diff| <= 2/255 per severity;
- stochastic corruptions: mean PSNR vs the clean image within 1 dB of the reference's, per severity, over
  >= 20 images (60 for fog and spatter, whose PSNR varies most from draw to draw; frost with the texture
  choice matched and the crop random; glass_blur on 20 64x64 crops at severities 1 and 5 only, as its
  reference takes ~1.6 s per 224x224 image);
- monotonicity: our PSNR vs clean falls with severity, except at the steps where the reference's own parameters
  do not (checked on the reference too);
- uint8 input: pixelate and JPEG give the reference's bytes exactly (its own 8-bit arithmetic);
- spatter's OpenCV steps (Canny, distance transform, box blur, equalizeHist) against OpenCV itself.
"""
import sys
from pathlib import Path
import numpy as np
import pytest
import torch

pytest.importorskip("imagecorruptions")
sys.path.insert(0, str(Path(__file__).parent))
import icref  # noqa: E402
from icref import icc, real_images, ref_corrupt_float  # noqa: E402
from synbench.corruptions import common2d as c2  # noqa: E402
from synbench.corruptions import ops  # noqa: E402  (the image operations under the corruptions)
from synbench.corruptions.common2d import corrupt, CORRUPTIONS  # noqa: E402

torch.set_num_threads(1)
DETERMINISTIC = ['brightness', 'contrast', 'saturate', 'defocus_blur', 'gaussian_blur', 'zoom_blur', 'pixelate',
                 'jpeg_compression']


@pytest.fixture(scope="module")
def photos():
    return real_images(60)


def to_t(imgs):
    return torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).float().contiguous() / 255


def to_np(x):
    return x.permute(0, 2, 3, 1).double().numpy()


def psnr(a, clean):
    mse = ((a - clean) ** 2).reshape(len(a), -1).mean(1)
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-12))


def with_np_random(patches, fn):
    "Run fn with some np.random functions replaced (how the reference draws its random numbers)."
    old = {k: getattr(np.random, k) for k in patches}
    try:
        for k, v in patches.items():
            setattr(np.random, k, v)
        return fn()
    finally:
        for k, v in old.items():
            setattr(np.random, k, v)


def ref_float(im, name, sev):
    from PIL import Image
    return np.asarray(icc.__dict__[name](Image.fromarray(im), sev), dtype=np.float64) / 255


def test_shims_needed_and_reference_names():
    "The reference is the package we think it is: same names, same order."
    assert icref.NAMES == CORRUPTIONS
    assert c2.COMMON_CORRUPTIONS == __import__("imagecorruptions").get_corruption_names("common")


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_deterministic_match(photos, name):
    imgs = photos[:4]
    x = to_t(imgs)
    for sev in range(1, 6):
        ours = to_np(corrupt(x, name, sev))
        ref = np.stack([ref_corrupt_float(im, name, sev) for im in imgs])
        mad = np.abs(ours - ref).mean() * 255
        assert mad <= 2.0, f"{name} severity {sev}: mean |diff| {mad:.3f}/255"
        if name != "pixelate":           # Pillow rounds to uint8 between its two resizes; the others are exact
            assert mad <= 0.01, f"{name} severity {sev}: mean |diff| {mad:.4f}/255"


@pytest.mark.parametrize("name", ["pixelate", "jpeg_compression"])
def test_uint8_byte_identical(photos, name):
    "uint8 in, uint8 out: pixelate and JPEG run the reference's own 8-bit arithmetic, so the bytes are its bytes."
    imgs = photos[:6]
    x8 = torch.from_numpy(np.ascontiguousarray(imgs)).permute(0, 3, 1, 2).contiguous()
    for sev in range(1, 6):
        ours = corrupt(x8, name, sev).permute(0, 2, 3, 1).numpy()
        ref = np.stack([icref.ref_corrupt(im, name, sev) for im in imgs])
        assert ours.dtype == ref.dtype == np.uint8
        assert (ours == ref).all(), f"{name} severity {sev}: {(ours != ref).sum()} bytes differ"


def test_motion_blur_given_angle(photos):
    imgs = photos[:4]; x = to_t(imgs)
    for sev in range(1, 6):
        ang = np.random.RandomState(sev).uniform(-45, 45, len(imgs))
        ours = to_np(c2._motion_blur(x, sev, None, angles=ang))
        ref = np.stack([with_np_random({"uniform": lambda *a, _v=ang[i], **k: _v},
                                       lambda: ref_float(imgs[i], "motion_blur", sev)) for i in range(len(imgs))])
        assert np.abs(ours - ref).mean() * 255 <= 2.0
        assert np.abs(ours - ref).mean() * 255 <= 0.01


def test_elastic_given_field(photos):
    imgs = photos[:3]; x = to_t(imgs)
    for sev in range(1, 6):
        md = 224 * 0.005
        noise = np.random.RandomState(sev).uniform(-md, md, (len(imgs), 2, 224, 224))
        ours = to_np(c2._elastic_transform(x, sev, None, noise=torch.from_numpy(noise)))
        refs = []
        for i in range(len(imgs)):
            it = iter([noise[i, 0], noise[i, 1]])          # the reference draws dx, then dy
            refs.append(with_np_random({"uniform": lambda *a, **k: next(it)},
                                       lambda: ref_float(imgs[i], "elastic_transform", sev)))
        mad = np.abs(ours - np.stack(refs)).mean() * 255
        assert mad <= 2.0 and mad <= 0.01, mad


def test_frost_given_texture_and_crop(photos):
    imgs = photos[:4]; x = to_t(imgs)
    for sev in range(1, 6):
        rng = np.random.RandomState(sev)
        refs, idx, offs = [], [], []
        for i in range(len(imgs)):
            vals = []
            def rint(*a, **k):
                v = rng.randint(*a, **k); vals.append(v); return v
            refs.append(with_np_random({"randint": rint}, lambda: ref_float(imgs[i], "frost", sev)))
            idx.append(vals[0]); offs.append((vals[1], vals[2]))
        ours = to_np(c2._frost(x, sev, None, idx=idx, offsets=offs))
        mad = np.abs(ours - np.stack(refs)).mean() * 255
        assert mad <= 2.0 and mad <= 0.05, mad        # bicubic rounding differs at a few texture pixels


def test_glass_blur_given_offsets(photos):
    ims = np.ascontiguousarray(photos[:2, 100:140, 100:140]); x = to_t(ims)
    g = torch.Generator().manual_seed(0)
    h = w = 40
    for sev in range(1, 6):
        sigma, d, iters = c2.PARAMS["glass_blur"][sev - 1]
        draws = [torch.randint(-d, d, (2, 2, h - 2 * d, w - 2 * d), generator=g) for _ in range(iters)]
        refs = []
        for i in range(2):
            seq = [draws[it][i, :, hh - d - 1, ww - d - 1].numpy()          # reference scan order
                   for it in range(iters) for hh in range(h - d, d, -1) for ww in range(w - d, d, -1)]
            itr = iter(seq)
            refs.append(with_np_random({"randint": lambda *a, **k: next(itr)}, lambda: ref_float(ims[i], "glass_blur", sev)))
        ours = to_np(c2._glass_blur(x, sev, None, draws=draws))
        mad = np.abs(ours - np.stack(refs)).mean() * 255
        assert mad <= 2.0 and mad <= 0.01, (sev, mad)


STOCHASTIC = {  # name -> (number of images, severities)
    'gaussian_noise': (20, range(1, 6)), 'shot_noise': (20, range(1, 6)), 'impulse_noise': (20, range(1, 6)),
    'speckle_noise': (20, range(1, 6)), 'motion_blur': (20, range(1, 6)), 'snow': (20, range(1, 6)),
    'elastic_transform': (20, range(1, 6)), 'fog': (60, range(1, 6)), 'spatter': (60, range(1, 6)),
    'frost': (20, range(1, 6)), 'glass_blur': (20, (1, 5)),
}


def _mean_psnrs(name, imgs, sev, seed):
    x = to_t(imgs)
    clean = imgs / 255.0
    if name == "frost":       # match the texture choice (the largest source of variance), crops stay random
        idx = np.random.RandomState(seed).randint(5, size=len(imgs))
        ours = to_np(c2._frost(x, sev, torch.Generator().manual_seed(seed), idx=idx.tolist()))
        np.random.seed(seed)
        refs = []
        for i in range(len(imgs)):
            first = [True]
            def rint(*a, _i=i, **k):
                if first[0]:
                    first[0] = False
                    return int(idx[_i])
                return np.random.RandomState.randint(np.random.mtrand._rand, *a, **k)
            refs.append(with_np_random({"randint": rint}, lambda: ref_float(imgs[i], "frost", sev)))
        ref = np.stack(refs)
    else:
        ours = to_np(corrupt(x, name, sev, seed=seed))
        np.random.seed(seed)
        ref = np.stack([ref_float(im, name, sev) for im in imgs])
    return psnr(ours, clean).mean(), psnr(ref, clean).mean()


@pytest.mark.parametrize("name", list(STOCHASTIC))
def test_stochastic_strength(photos, name):
    n, sevs = STOCHASTIC[name]
    imgs = photos[:n]
    if name == "glass_blur":
        imgs = np.ascontiguousarray(imgs[:, 80:144, 80:144])
    for sev in sevs:
        po, pr = _mean_psnrs(name, imgs, sev, seed=sev)
        assert abs(po - pr) <= 1.0, f"{name} severity {sev}: ours {po:.2f} dB, reference {pr:.2f} dB"


# steps (s, s+1) where the reference's parameters themselves do not lower the PSNR (checked below on the reference):
# glass_blur 1->2 (sigma 0.7 -> 0.9 but 2 -> 1 iterations) and 3->4 (3 -> 2 iterations); saturate 2->3
# (severities 1-2 desaturate to 30% / 10%, 3-5 saturate by 2x, 5x, 20x); frost 3->4 (the image weight falls
# 0.7 -> 0.65 with the frost weight fixed at 0.7, which darkens frosted images back towards the clean one).
EXCEPTIONS = {'glass_blur': [(1, 2), (3, 4)], 'saturate': [(2, 3)], 'frost': [(3, 4)]}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_monotone_in_severity(photos, name):
    imgs = photos[:8]
    if name == "glass_blur":
        imgs = np.ascontiguousarray(imgs[:, 80:144, 80:144])
    x = to_t(imgs); clean = imgs / 255.0
    idx = [0, 1, 2, 3, 4, 0, 1, 3]
    ours = []
    for sev in range(1, 6):
        if name == "frost":
            y = c2._frost(x, sev, torch.Generator().manual_seed(0), idx=idx)
        else:
            y = corrupt(x, name, sev, seed=0)
        ours.append(psnr(to_np(y), clean).mean())
    exc = EXCEPTIONS.get(name, [])
    for s in range(1, 5):
        if (s, s + 1) in exc:
            continue
        assert ours[s] < ours[s - 1], f"{name}: PSNR {ours[s - 1]:.2f} dB at severity {s}, {ours[s]:.2f} at {s + 1}"
    for s, t in exc:                          # the exception is the reference's own behaviour
        def ref_psnr(sev):
            np.random.seed(0)
            if name == "frost":
                it = iter(idx)
                draw = lambda *a, **k: next(it) if a == (5,) else np.random.RandomState(1).randint(*a, **k)
                r = np.stack([with_np_random({"randint": draw}, lambda: ref_float(im, name, sev)) for im in imgs])
            else:
                r = np.stack([ref_float(im, name, sev) for im in imgs])
            return psnr(r, clean).mean()
        assert ref_psnr(t) >= ref_psnr(s), f"{name}: the reference is monotone at {s}->{t}; remove the exception"


def test_spatter_steps_match_opencv():
    "The water-spatter steps against OpenCV itself (a dependency of the reference) on the reference's liquid layer."
    cv2 = pytest.importorskip("cv2")
    np.random.seed(3)
    for c in c2.PARAMS["spatter"][:3]:
        layer = np.random.normal(size=(224, 224), loc=c[0], scale=c[1])
        layer = icc.gaussian(layer, sigma=c[2])
        layer[layer < c[3]] = 0
        L = (layer * 255).astype(np.uint8)
        edges = cv2.Canny(L, 50, 150) > 0
        ours = ops._canny(torch.from_numpy(L.astype(np.float32))[None], 50, 150)[0].numpy()
        assert (ours == edges).all()
        dist = cv2.distanceTransform((255 - edges * 255).astype(np.uint8), cv2.DIST_L2, 5)
        _, dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)
        ed = ops._edt_trunc(torch.from_numpy(edges)[None])[0].numpy()
        assert np.abs(ed - dist).mean() < 0.25          # exact Euclidean vs OpenCV's 5x5 chamfer approximation
        blur = cv2.blur(dist, (3, 3))
        np.testing.assert_allclose(ops._box3(torch.from_numpy(dist)[None, None])[0, 0].numpy(), blur, atol=1e-4)
        u8 = blur.astype(np.uint8)
        eq = ops._equalize_hist(torch.from_numpy(u8.astype(np.float32))[None, None])[0, 0].numpy()
        assert (eq == cv2.equalizeHist(u8)).all()
