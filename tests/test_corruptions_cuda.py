"""synbench.corruptions on a CUDA device against the same calls on the CPU (skipped where no GPU is present).

The device paths differ from the CPU ones on purpose: pixelate sums its windows with gathers (CUDA `index_add_`
accumulates floats with atomics, in a varying order), defocus blur at severities 4-5 sums row boxes instead of
an FFT, the noises draw from CUDA generators (other streams than the CPU's), and JPEG goes to the CPU codec and
back. So: deterministic corruptions must match the CPU (to float rounding; uint8 pixelate and JPEG to the byte),
stochastic ones must be seeded (same seed, same output on the device) and keep their strength (PSNR against the
clean image within 1 dB of the CPU's), and every result must stay on the device with the input's shape and dtype,
for float and uint8 input, with and without `out=`.
"""
import numpy as np
import pytest
import torch

from synbench.corruptions.common2d import CORRUPTIONS, corrupt, _round_u8
from synbench.corruptions.depth3d import CORRUPTIONS_3D, corrupt3d, example_scene

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

DETERMINISTIC = ['brightness', 'contrast', 'saturate', 'defocus_blur', 'gaussian_blur', 'zoom_blur', 'pixelate',
                 'jpeg_compression']


@pytest.fixture(scope="module")
def photos():
    "Four real 128x128 photos from scikit-image, as a float batch in [0, 1] and as uint8."
    import skimage.data
    from PIL import Image
    ims = [getattr(skimage.data, n)() for n in ("astronaut", "coffee", "chelsea", "rocket")]
    ims = [np.asarray(Image.fromarray(a[:min(a.shape[:2]), :min(a.shape[:2])]).resize((128, 128))) for a in ims]
    x8 = torch.from_numpy(np.stack(ims)).permute(0, 3, 1, 2).contiguous()
    return x8.float() / 255, x8


def psnr(a, clean):
    return (10 * torch.log10(1 / ((a.double() - clean.double()) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-12))).mean().item()


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_cuda_float(photos, name):
    x, _ = photos
    xc = x.cuda()
    y = corrupt(xc, name, 3, seed=1)
    assert y.device.type == "cuda" and y.shape == x.shape and y.dtype == x.dtype
    assert 0 <= y.min() and y.max() <= 1
    assert torch.equal(y, corrupt(xc, name, 3, seed=1)), "same seed, different output on the device"
    o = torch.empty_like(xc)
    assert corrupt(xc, name, 3, seed=1, out=o) is o and torch.equal(o, y)
    ref = corrupt(x, name, 3, seed=1)
    if name in DETERMINISTIC:
        err = (y.cpu() - ref).abs()
        assert err.mean() < 1e-5 and err.max() < 1e-3, (name, err.mean().item(), err.max().item())
    else:
        assert abs(psnr(y.cpu(), x) - psnr(ref, x)) < 1.0


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_cuda_uint8(photos, name):
    x, x8 = photos
    y8 = corrupt(x8.cuda(), name, 3, seed=1)
    assert y8.device.type == "cuda" and y8.dtype == torch.uint8 and y8.shape == x8.shape
    if name in ("pixelate", "jpeg_compression"):       # the reference's own 8-bit arithmetic: the CPU's bytes
        assert torch.equal(y8.cpu(), corrupt(x8, name, 3, seed=1))
    else:                                              # the float result on x8 / 255, rounded
        assert torch.equal(y8, _round_u8(corrupt(x8.cuda().float() / 255, name, 3, seed=1)))


@pytest.mark.parametrize("name", CORRUPTIONS_3D)
def test_cuda_3d(name):
    x, d = example_scene(64, n=2)
    y = corrupt3d(x.cuda(), d.cuda(), name, 3, seed=0)
    assert y.device.type == "cuda" and y.shape == x.shape
    assert torch.equal(y, corrupt3d(x.cuda(), d.cuda(), name, 3, seed=0))
    ref = corrupt3d(x, d, name, 3, seed=0)
    assert abs(psnr(y.cpu(), x) - psnr(ref, x)) < 1.0
