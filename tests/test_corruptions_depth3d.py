"""Cross-checks of synbench.corruptions.depth3d against independent re-implementations of the 3DCC reference
generator (EPFL-VILAB/3DCommonCorruptions, create_3dcc/*.py), plus failure modes.

The reference functions below are written the way the reference code is (per image, plain conv2d / numpy /
PIL / scipy), not with synbench's batched matrices and warps, so that they check the fast path."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from scipy import ndimage

from synbench.corruptions.depth3d import (CORRUPTIONS_3D, CORRUPTIONS_3D_PAPER, FLASH_SCALE, corrupt3d,
                                          example_scene, motion_params, require_depth, reshade_from_depth)

torch.set_num_threads(1)


def real_images(n=20, size=64, seed=0):
    "n real 64x64 crops from scikit-image's colour photos."
    from skimage import data
    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.stereo_motorcycle()[0]]
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        p = photos[i % len(photos)]
        r, c = rng.integers(0, p.shape[0] - 2 * size), rng.integers(0, p.shape[1] - 2 * size)
        crop = torch.tensor(p[r:r + 2 * size, c:c + 2 * size] / 255.0, dtype=torch.float32).permute(2, 0, 1)[None]
        out.append(F.avg_pool2d(crop, 2))
    return torch.cat(out)


def psnr(a, b):
    return (10 * torch.log10(1 / ((a.double() - b.double()) ** 2).mean(dim=(1, 2, 3)))).mean().item()


# ------------------------------------------------------------------ defocus: literal port of create_dof.py
def _ref_gaussian(M, std):
    if M == 1:
        return torch.ones((1,), dtype=torch.float64)
    n = torch.arange(0, M, dtype=torch.float64) - (M - 1.0) / 2.0
    return torch.exp(-n ** 2 / (2 * std * std))


def _ref_separable_gaussian(img, r):
    if r < 1e-1:
        return img
    cutoff = int(r * 3)
    if cutoff % 2 == 0:
        cutoff += 1
    C = img.shape[1]
    fil = _ref_gaussian(cutoff, r)
    filsum = fil.sum()
    fil = torch.stack([fil] * C, dim=0)
    p = cutoff // 2
    out = F.pad(img, (p, p, p, p), "replicate")
    out = F.conv2d(out, fil.unsqueeze(1).unsqueeze(-2), groups=C) / filsum
    return F.conv2d(out, fil.unsqueeze(1).unsqueeze(-1), groups=C) / filsum


def _ref_defocus(rgb, depth, severity, far, eps=1e-4):
    "create_dof.defocus_blur_3D for one image (3,H,W) in float64, depth (H,W) normalised to max 1."
    q = torch.arange(0, 9, dtype=torch.float64) / 8
    qv = torch.quantile(depth.reshape(1, -1), q, dim=1)  # (9, 1)
    qv[0] -= eps
    qv[-1] += eps
    qv = qv.permute(1, 0)  # (1, 9)
    aperture = severity + 2.0
    if far:
        aperture = (aperture - 1.5) / 1.0
    f = qv[0, 7] if far else qv[0, 0]
    radii = aperture * torch.abs(qv[0] - f) / qv[0]
    stack = torch.stack([_ref_separable_gaussian(rgb[None], r.item())[0] for r in radii])  # (9,3,H,W)
    d = depth.reshape(1, -1)
    right = torch.searchsorted(qv, d)
    left = right - 1
    ql, qr = torch.gather(qv, 1, left).reshape(depth.shape), torch.gather(qv, 1, right).reshape(depth.shape)
    dl, dr = (depth - ql) / (qr - ql), (qr - depth) / (qr - ql)
    w = torch.zeros(9, *depth.shape, dtype=torch.float64)
    w.scatter_(0, left.reshape(1, *depth.shape), (1 - dl ** 2)[None])
    w.scatter_(0, right.reshape(1, *depth.shape), (1 - dr ** 2)[None])
    w /= w.sum(0, keepdim=True)
    return (w[:, None] * stack).sum(0)


@pytest.mark.parametrize("name", ["near_focus", "far_focus"])
def test_defocus_matches_reference_port_at_224(name):
    x, d = example_scene(224)
    d = d / d.max()
    for s in (1, 3, 5):
        got = corrupt3d(x, d, name, s)[0].double()
        ref = _ref_defocus(x[0].double(), d[0, 0].double(), s, far=name == "far_focus").clamp(0, 1)
        assert (got - ref).abs().max().item() < 2e-4, (name, s)


def test_defocus_depth_scale_free():
    x, d = example_scene(64)
    for name in ("near_focus", "far_focus"):
        torch.testing.assert_close(corrupt3d(x, d, name, 4), corrupt3d(x, d * 1000, name, 4), atol=1e-5, rtol=0)


# ------------------------------------------------------------------ fog / flash: literal formulas
def test_fog_matches_reference_formula():
    x, d = example_scene(64, n=1)
    for s in range(1, 6):
        depth = 0.5 * d[:, 0] / d.max()  # ImageNet-3DCC depth scale: farthest point at 0.5
        t = torch.exp(-[4, 8, 12, 16, 20][s - 1] * depth).unsqueeze(1)
        ref = t * x + x.mean() * (1 - t)  # create_fog.fog_3d with batch size 1
        torch.testing.assert_close(corrupt3d(x, d, "fog_3d", s), ref, atol=1e-6, rtol=0)


def test_fog_atmosphere_is_per_image():
    x, d = example_scene(32, n=1)
    xb = torch.cat([x, torch.zeros_like(x)])
    db = d.repeat(2, 1, 1, 1)
    torch.testing.assert_close(corrupt3d(xb, db, "fog_3d", 3)[:1], corrupt3d(x, d, "fog_3d", 3))


def test_flash_matches_reference_formula():
    x, d = example_scene(64)
    sh = reshade_from_depth(d)
    for s in range(1, 6):
        ref = (x + x * sh / [2.4, 1.4, 0.9, 0.6, 0.4][s - 1]).clamp(max=1.0)
        torch.testing.assert_close(corrupt3d(x, d, "flash", s), ref)
    assert FLASH_SCALE == [2.4, 1.4, 0.9, 0.6, 0.4]


# ------------------------------------------------------------------ noise: numpy/PIL port of create_non3d.py
def _ref_iso_noise(img_u8, s, rng):
    x = img_u8 / 255.
    x = np.clip(rng.poisson(x * 25) / 25, 0, 1) * 255
    x = np.array(x) / 255.
    x = np.clip(x + rng.normal(size=x.shape, scale=0.7 * [.08, .12, 0.18, 0.26, 0.38][s - 1]), 0, 1) * 255
    return np.uint8(x)


def _ref_low_light(img_u8, s, rng):
    c = [.60, .50, 0.40, 0.30, 0.20][s - 1]
    x = img_u8 / 255.
    x = (((x - x.min()) / (x.max() - x.min())) ** 2) * c * 255
    x = np.array(x) / 255.
    x = np.clip(rng.poisson(x * 120) / 120, 0, 1) * 255
    x = np.array(x) / 255.
    x = np.clip(x + rng.normal(size=x.shape, scale=0.1 * 0.18), 0, 1) * 255
    return np.uint8(x)


@pytest.mark.parametrize("name,ref", [("iso_noise", _ref_iso_noise), ("low_light", _ref_low_light)])
def test_noise_strength_matches_reference(name, ref):
    x = real_images(20)
    u8 = (x * 255).round().byte().permute(0, 2, 3, 1).numpy()
    xq = torch.tensor(u8).permute(0, 3, 1, 2).float() / 255
    rng = np.random.default_rng(0)
    for s in range(1, 6):
        r = torch.tensor(np.stack([ref(im, s, rng) for im in u8])).permute(0, 3, 1, 2).float() / 255
        ours, theirs = psnr(corrupt3d(xq, None, name, s, seed=s), xq), psnr(r, xq)
        assert abs(ours - theirs) < 0.1, (name, s, ours, theirs)


def test_color_quant_equals_pil_posterize():
    x = real_images(6)
    u8 = (x * 255).round().byte().permute(0, 2, 3, 1).numpy()
    xq = torch.tensor(u8).permute(0, 3, 1, 2).float() / 255
    for s in range(1, 6):
        ref = np.stack([np.asarray(ImageOps.posterize(Image.fromarray(im), 6 - s)) for im in u8])
        got = (corrupt3d(xq, None, "color_quant", s) * 255).round().byte().permute(0, 2, 3, 1).numpy()
        np.testing.assert_array_equal(got, ref)
        got2 = (corrupt3d(xq, None, "color_quantization", s) * 255).round().byte().permute(0, 2, 3, 1).numpy()
        np.testing.assert_array_equal(got2, ref)


# ------------------------------------------------------------------ motion: constant depth = rigid motion, via scipy
def _frames(kind, severity):
    n = ([20, 30, 40, 50, 60] if kind == "xy" else [20, 25, 30, 35, 38])[severity - 1]
    return np.linspace(0, 1, 60)[:n]


@pytest.mark.parametrize("kind", ["xy", "z"])
def test_motion_on_a_plane_is_a_rigid_camera_motion(kind):
    """At constant depth every point is at the nearest depth c: XY motion translates the image by -(u,v)s
    pixels, Z motion zooms about the centre by 1/(1 - s(1-k)) and translates; check against scipy's
    affine_transform (order 1, border 'nearest'), an independent resampler."""
    size, sev, seed = 48, 4, 3
    x = real_images(2, size=size)
    d = torch.full((2, 1, size, size), 2.5)
    got = corrupt3d(x, d, f"{kind}_motion_blur", sev, seed=seed)
    g = torch.Generator().manual_seed(seed)
    du, dv, k = motion_params(2, kind, g)
    sc = size / 512
    c = (size - 1) / 2
    for i in range(2):
        acc = np.zeros((3, size, size))
        for s in _frames(kind, sev):
            m = 1 - s * (1 - k[i].item())  # (z + tz)/z with z = c = 1
            bu, bv = -s * du[i].item() * sc * m, -s * dv[i].item() * sc * m
            # output pixel p (centred) samples source p*m - b
            for ch in range(3):
                acc[ch] += ndimage.affine_transform(x[i, ch].double().numpy(), [m, m],
                                                    offset=[c - c * m - bv, c - c * m - bu], order=1, mode="nearest")
        ref = acc / len(_frames(kind, sev))
        assert np.abs(got[i].double().numpy() - ref).max() < 1e-4, (kind, i)


def test_xy_parallax_ratio():
    "A near plane (depth 1) and a far plane (depth 4): the far one moves 1/4 as far (c = nearest central depth)."
    size = 64
    x = real_images(1, size=size)
    d_near = torch.ones(1, 1, size, size)
    d_far = torch.full((1, 1, size, size), 4.0)
    d_far[..., 20:44, 20:44] = 1.0  # keep the nearest central depth at 1
    g = torch.Generator().manual_seed(0)
    du, dv, _ = motion_params(1, "xy", g)
    y_far = corrupt3d(x, d_far, "xy_motion_blur", 5, seed=0)
    # reference for the far region: translation by a quarter of the near one
    sc = size / 512
    c = (size - 1) / 2
    acc = np.zeros((3, size, size))
    for s in _frames("xy", 5):
        bu, bv = -s * du.item() * sc / 4, -s * dv.item() * sc / 4
        for ch in range(3):
            acc[ch] += ndimage.affine_transform(x[0, ch].double().numpy(), [1, 1], offset=[-bv, -bu], order=1, mode="nearest")
    ref = acc / 60
    region = np.zeros((size, size), bool)
    region[:8, :] = True  # far, away from the near square (the near square moves at most ~9 px)
    region[-8:, :] = True
    assert np.abs(y_far[0].double().numpy() - ref)[:, region].max() < 1e-4


def test_motion_params_distribution():
    g = torch.Generator().manual_seed(0)
    du, dv, k = motion_params(4000, "xy", g)
    assert set(du.long().tolist()) == set(range(50, 75)) | set(range(-75, -50))
    assert dv.min() == -75 and dv.max() == 74 and (k == 1).all()
    du, dv, k = motion_params(4000, "z", g)
    assert du.min() == -30 and du.max() == 29 and 0.5 <= k.min() and k.max() < 0.6


# ------------------------------------------------------------------ general properties and failure modes
def test_every_corruption_monotone_on_real_images():
    x, d = example_scene(48, n=1)
    x = torch.cat([x, x.flip(-1)])
    d = torch.cat([d, d.flip(-1)])
    for name in CORRUPTIONS_3D:
        p = [psnr(corrupt3d(x, d, name, s, seed=1), x) for s in range(1, 6)]
        assert all(a > b for a, b in zip(p, p[1:])), (name, p)


def test_batch_independence_of_deterministic_corruptions():
    x, d = example_scene(32, n=1)
    x2 = torch.cat([x, real_images(1, size=32)])
    d2 = torch.cat([d, d.flip(-1)])
    for name in ["near_focus", "far_focus", "fog_3d", "flash", "color_quant"]:
        torch.testing.assert_close(corrupt3d(x2, d2, name, 3)[:1], corrupt3d(x, d, name, 3), atol=1e-5, rtol=0)


def test_lists():
    assert CORRUPTIONS_3D_PAPER == ["near_focus", "far_focus", "fog_3d", "xy_motion_blur", "z_motion_blur"]
    assert set(CORRUPTIONS_3D) >= set(CORRUPTIONS_3D_PAPER) | {"flash", "low_light", "iso_noise", "color_quant"}


@pytest.mark.parametrize("kwargs,msg", [
    (dict(name="blur"), "valid names: near_focus, far_focus, fog_3d, xy_motion_blur, z_motion_blur"),
    (dict(severity=0), "severity must be an integer in 1..5"),
    (dict(severity=2.0), "severity must be an integer in 1..5"),
    (dict(x=torch.full((1, 3, 8, 8), 1.5)), "values in [0, 1]"),
    (dict(x=torch.full((1, 3, 8, 8), -0.1)), "values in [0, 1]"),
    (dict(x=torch.rand(3, 8, 8)), "shape (N,3,H,W)"),
    (dict(depth=torch.ones(1, 8, 8)), "depth must have shape (N,1,H,W)"),
    (dict(depth=torch.ones(1, 1, 8, 7)), "depth must have shape (N,1,H,W)"),
    (dict(depth=-torch.ones(1, 1, 8, 8)), "depth must be positive"),
    (dict(depth=torch.full((1, 1, 8, 8), float("inf"))), "NaN or infinite"),
    (dict(depth=None), "no depth for this dataset"),
    (dict(seed=-1), "seed must be a non-negative integer"),
])
def test_bad_input(kwargs, msg):
    args = dict(x=torch.rand(1, 3, 8, 8), depth=torch.ones(1, 1, 8, 8), name="near_focus", severity=3, seed=0)
    args.update(kwargs)
    with pytest.raises(ValueError) as e:
        corrupt3d(**args)
    assert msg in str(e.value)


def test_require_depth_message():
    with pytest.raises(ValueError) as e:
        require_depth(None, "imagenet-val")
    m = str(e.value)
    assert m.startswith("no depth for imagenet-val")
    assert "ImageNet-3DCC release on disk" in m and "<corruption>/<severity>/<wnid>" in m and "MiniWorld" in m
