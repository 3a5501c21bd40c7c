"""The reference generator for synbench's 2D corruption tests and benchmark: the `imagecorruptions` package
(Michaelis et al. 2019, a packaging of Hendrycks & Dietterich's `make_imagenet_c.py`), with two shims so that
it runs on current numpy / scikit-image:

- `np.float_` (removed in numpy 2) is set to `np.float64` (used by `plasma_fractal`, i.e. fog);
- scikit-image's `gaussian` lost the `multichannel=` keyword (removed in 0.19); the module-level `gaussian`
  that `imagecorruptions.corruptions` imported is wrapped to translate `multichannel=True` into
  `channel_axis=-1` (used by glass_blur and gaussian_blur).

Nothing else of the reference is changed. Not collected by pytest (no `test_` prefix)."""
import numpy as np
import skimage.filters

if not hasattr(np, "float_"):
    np.float_ = np.float64

import imagecorruptions  # noqa: E402  (needs setuptools<81 for pkg_resources)
import imagecorruptions.corruptions as icc  # noqa: E402

_sk_gaussian = skimage.filters.gaussian

def _gaussian_shim(image, sigma=1.0, *args, multichannel=None, **kw):
    if multichannel is not None and "channel_axis" not in kw:
        kw["channel_axis"] = -1 if multichannel else None
    return _sk_gaussian(image, sigma, *args, **kw)

icc.gaussian = _gaussian_shim

NAMES = imagecorruptions.get_corruption_names("all")

def ref_corrupt(img_u8: np.ndarray, name: str, severity: int) -> np.ndarray:
    "imagecorruptions' public entry point: HxWx3 uint8 in, HxWx3 uint8 out (note: it truncates, np.uint8(float))."
    return imagecorruptions.corrupt(img_u8, corruption_name=name, severity=severity)

def ref_corrupt_float(img_u8: np.ndarray, name: str, severity: int) -> np.ndarray:
    "The corruption function itself, before the uint8 truncation: HxWx3 float in [0, 1]."
    from PIL import Image
    out = icc.__dict__[name](Image.fromarray(img_u8), severity)
    return np.asarray(out, dtype=np.float64) / 255.0

def real_images(n: int = 4, size: int = 224) -> np.ndarray:
    """`n` real 224x224 RGB photos (uint8, n x H x W x 3) from scikit-image: astronaut, coffee, chelsea, rocket
    (and more), centre-cropped square and resized; beyond the base photos, flips and off-centre crops."""
    import skimage.data
    from PIL import Image
    names = ["astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "colorwheel", "retina", "hubble_deep_field"]
    base = [getattr(skimage.data, nm)() for nm in names]
    base = [b for b in base if b.ndim == 3 and b.shape[2] == 3]
    out = []
    k = 0
    while len(out) < n:
        b = base[k % len(base)]
        variant = k // len(base)
        h, w = b.shape[:2]
        s = min(h, w)
        s2 = int(s * (1.0 if variant == 0 else 0.8 ** ((variant + 1) // 2)))
        # off-centre crops for later variants
        frac = [0.5, 0.2, 0.8, 0.35, 0.65][variant % 5]
        t = int((h - s2) * frac); l = int((w - s2) * (1 - frac))
        crop = b[t:t + s2, l:l + s2]
        im = np.asarray(Image.fromarray(crop).resize((size, size), Image.BILINEAR))
        if variant % 2 == 1:
            im = im[:, ::-1]
        out.append(np.ascontiguousarray(im))
        k += 1
    return np.stack(out)
