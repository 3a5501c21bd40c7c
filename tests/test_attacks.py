"""synbench.attacks: closed forms, a re-implementation of torchattacks' FGSM/PGD, gradients and modes.

torchattacks itself is not used: `pip install --dry-run torchattacks` (3.5.1) would downgrade requests
(2.34.2 -> 2.25.1), urllib3, idna and chardet in the venv. Its two attacks are re-implemented below from
its source (torchattacks/attacks/fgsm.py, pgd.py) and compared with ours.
"""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from synbench.attacks import PAPER_EPS, PAPER_PGD_ALPHA, PAPER_PGD_STEPS, eval_mode, fgsm, labelspace_loss, pgd
from synbench.core import make_generator

torch.set_num_threads(1)


def _net(seed=0, n_out=5, d=48):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(d, 32), nn.BatchNorm1d(32), nn.Tanh(), nn.Dropout(0.5),
                        nn.Linear(32, n_out))
    with torch.no_grad():
        net[2].running_mean.uniform_(-0.1, 0.1)
    return net


def _data(n=16, seed=0, n_out=5):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 4, 4, generator=g), torch.randint(0, n_out, (n,), generator=g)


def _torchattacks_fgsm(model, images, labels, eps):
    # torchattacks FGSM.forward: mean cross-entropy, grad, images + eps*sign, clamp(0, 1)
    images = images.clone().detach().requires_grad_(True)
    cost = nn.CrossEntropyLoss()(model(images), labels)
    grad = torch.autograd.grad(cost, images, retain_graph=False, create_graph=False)[0]
    return torch.clamp(images + eps * grad.sign(), min=0, max=1).detach()


def _torchattacks_pgd(model, images, labels, eps, alpha, steps, noise=None):
    # torchattacks PGD.forward, with the uniform(-eps, eps) start passed in instead of drawn from the global RNG
    images = images.clone().detach()
    adv = images.clone().detach()
    if noise is not None:
        adv = torch.clamp(adv + noise, min=0, max=1).detach()
    for _ in range(steps):
        adv.requires_grad = True
        cost = nn.CrossEntropyLoss()(model(adv), labels)
        grad = torch.autograd.grad(cost, adv, retain_graph=False, create_graph=False)[0]
        adv = adv.detach() + alpha * grad.sign()
        delta = torch.clamp(adv - images, min=-eps, max=eps)
        adv = torch.clamp(images + delta, min=0, max=1).detach()
    return adv


def test_fgsm_matches_torchattacks_reimplementation():
    net = _net().eval()
    x, y = _data()
    torch.testing.assert_close(fgsm(net, x, y, 4 / 255), _torchattacks_fgsm(net, x, y, 4 / 255), rtol=0, atol=0)


@pytest.mark.parametrize("eps,alpha,steps", [(PAPER_EPS, PAPER_PGD_ALPHA, PAPER_PGD_STEPS), (8 / 255, 2 / 255, 7)])
def test_pgd_matches_torchattacks_reimplementation(eps, alpha, steps):
    net = _net(1).eval()
    x, y = _data(seed=1)
    noise = torch.empty_like(x).uniform_(-eps, eps, generator=make_generator(3, x.device))
    ref = _torchattacks_pgd(net, x, y, eps, alpha, steps, noise)
    torch.testing.assert_close(pgd(net, x, y, eps, steps=steps, alpha=alpha, seed=3), ref, rtol=0, atol=0)
    ref0 = _torchattacks_pgd(net, x, y, eps, alpha, steps, None)
    torch.testing.assert_close(pgd(net, x, y, eps, steps=steps, alpha=alpha, random_start=False), ref0, rtol=0, atol=0)


def test_fgsm_closed_form_multiclass_linear():
    # z = W x + b, L = CE: grad_x L = W^T (softmax(z) - e_y); FGSM = clip(x + eps * sign(grad))
    torch.manual_seed(0)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(12, 4)).double()
    x = 0.1 + 0.8 * torch.rand(6, 3, 2, 2, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    W, b = lin[1].weight.detach().numpy(), lin[1].bias.detach().numpy()
    xf = x.reshape(6, -1).numpy()
    z = xf @ W.T + b
    p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    grad = (p - np.eye(4)[y.numpy()]) @ W
    eps = 0.05
    expected = np.clip(xf + eps * np.sign(grad), 0, 1).reshape(x.shape)
    np.testing.assert_allclose(fgsm(lin, x, y, eps).numpy(), expected, rtol=0, atol=1e-12)


def test_paper_setting_every_step_reaches_the_ball_boundary():
    # alpha = 2/225 > eps = 1/255: every interior pixel with a non-zero gradient ends on the boundary
    net = _net(2).eval()
    x, y = _data(seed=2)
    x = 0.05 + 0.9 * x
    xa = pgd(net, x, y, PAPER_EPS, steps=PAPER_PGD_STEPS, alpha=PAPER_PGD_ALPHA)
    d = (xa - x).abs()
    assert d.max() <= PAPER_EPS + 1e-6
    assert torch.isclose(d, torch.full_like(d, PAPER_EPS), atol=1e-6).float().mean() > 0.99


def test_projection_bound_and_box_with_large_steps():
    net = _net(3).eval()
    x, y = _data(n=32, seed=3)
    x[:4] = 0.0
    x[4:8] = 1.0
    for eps in (1 / 255, 8 / 255, 0.3):
        xa = pgd(net, x, y, eps, steps=5, alpha=0.5)
        assert (xa - x).abs().max().item() <= eps + 1e-6
        assert xa.min().item() >= 0.0 and xa.max().item() <= 1.0
        xf = fgsm(net, x, y, eps)
        assert (xf - x).abs().max().item() <= eps + 1e-6 and xf.min() >= 0 and xf.max() <= 1


def test_no_gradient_leak_and_modes_restored():
    net = _net(4)
    net.train()
    net[4].eval()  # a submodule in its own mode
    x, y = _data(seed=4)
    running = net[2].running_mean.clone()
    existing = torch.ones_like(net[5].weight)
    net[5].weight.grad = existing.clone()
    with torch.no_grad():  # works inside no_grad too
        pgd(net, x, y, 8 / 255, steps=3)
        fgsm(net, x, y, 8 / 255)
    assert net[5].weight.grad is not None and torch.equal(net[5].weight.grad, existing)
    assert all(p.grad is None for n_, p in net.named_parameters() if n_ != "5.weight")
    assert net.training and net[1].training and net[2].training and not net[4].training
    assert torch.equal(net[2].running_mean, running)  # eval mode: batch-norm statistics untouched
    # the mode is restored even when the attack fails half-way (label out of range is seen after a forward)
    with pytest.raises(ValueError, match=r"y must be in \[0, 5\)"):
        fgsm(net, x, y + 10, 8 / 255)
    assert net.training and not net[4].training


def test_attack_uses_eval_mode():
    # with dropout active, two forward passes would differ; in eval mode FGSM is deterministic
    net = _net(5)
    net.train()
    x, y = _data(seed=5)
    a, b = fgsm(net, x, y, 4 / 255), fgsm(net, x, y, 4 / 255)
    assert torch.equal(a, b)
    with eval_mode(net):
        assert not net.training
        ref = _torchattacks_fgsm(net, x, y, 4 / 255)
    assert torch.equal(a, ref)


def test_batches_are_independent():
    net = _net(6).eval()
    x, y = _data(n=12, seed=6)
    whole = fgsm(net, x, y, 8 / 255)
    parts = torch.cat([fgsm(net, x[i:i + 4], y[i:i + 4], 8 / 255) for i in range(0, 12, 4)])
    assert torch.equal(whole, parts)
    whole = pgd(net, x, y, 8 / 255, steps=4, random_start=False)
    parts = torch.cat([pgd(net, x[i:i + 4], y[i:i + 4], 8 / 255, steps=4, random_start=False) for i in range(0, 12, 4)])
    torch.testing.assert_close(whole, parts, rtol=0, atol=1e-6)


def test_default_alpha_and_seed_reproducibility():
    net = _net(7).eval()
    x, y = _data(seed=7)
    eps = 8 / 255
    torch.testing.assert_close(pgd(net, x, y, eps, steps=4), pgd(net, x, y, eps, steps=4, alpha=2.5 * eps / 4),
                               rtol=0, atol=0)
    torch.manual_seed(123)
    a = pgd(net, x, y, eps, steps=2, alpha=eps / 8, seed=9)
    torch.manual_seed(456)  # global RNG state does not matter
    b = pgd(net, x, y, eps, steps=2, alpha=eps / 8, seed=9)
    assert torch.equal(a, b)


def test_labelspace_loss_attacks_the_200_class_slice():
    from synbench.data.labelspaces import get_labelspace
    r = get_labelspace("imagenet-r")
    torch.manual_seed(0)
    lin = nn.Sequential(nn.Flatten(), nn.Linear(12, 1000)).double()
    x = 0.1 + 0.8 * torch.rand(3, 3, 2, 2, dtype=torch.float64)
    y = torch.tensor([0, 57, 199])  # labels in the 200-class space
    eps = 0.02
    xa = fgsm(lin, x, y, eps, loss_fn=labelspace_loss("imagenet-r"))
    # closed form on the slice: grad = W_S^T (softmax(z_S) - e_y)
    W = lin[1].weight.detach()[list(r.indices)]
    b = lin[1].bias.detach()[list(r.indices)]
    z = x.reshape(3, -1) @ W.T + b
    grad = (torch.softmax(z, 1) - F.one_hot(y, 200).double()) @ W
    torch.testing.assert_close(xa, (x.reshape(3, -1) + eps * grad.sign()).reshape(x.shape).clamp(0, 1))
    with pytest.raises(ValueError, match="has no logits"):
        labelspace_loss("in9")


def test_bad_inputs():
    net = _net(8).eval()
    x, y = _data(seed=8)
    with pytest.raises(ValueError, match="x must be a torch.Tensor"):
        fgsm(net, x.numpy(), y, 0.01)
    with pytest.raises(ValueError, match="non-empty batch"):
        fgsm(net, x[:0], y[:0], 0.01)
    with pytest.raises(ValueError, match="NaN"):
        fgsm(net, x * float("nan"), y, 0.01)
    with pytest.raises(ValueError, match="eps must be a number"):
        pgd(net, x, y, "1/255")
    with pytest.raises(ValueError, match="steps must be an integer"):
        pgd(net, x, y, 0.01, steps=2.5)
    with pytest.raises(ValueError, match="seed must be"):
        pgd(net, x, y, 0.01, seed=-1)
    with pytest.raises(ValueError, match="model must be callable"):
        fgsm("net", x, y, 0.01)
    # nothing is modified in place
    x0 = x.clone()
    fgsm(net, x, y, 0.01); pgd(net, x, y, 0.01, steps=2)
    assert torch.equal(x, x0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_and_stays_on_device():
    net = _net(9).eval()
    x, y = _data(seed=9)
    a_cpu = pgd(net, x, y, 8 / 255, steps=3, random_start=False)
    net_c = net.cuda()
    a_gpu = pgd(net_c, x.cuda(), y.cuda(), 8 / 255, steps=3, random_start=False)
    assert a_gpu.device.type == "cuda"
    torch.testing.assert_close(a_gpu.cpu(), a_cpu, rtol=0, atol=2 / 255)
    r1 = pgd(net_c, x.cuda(), y.cuda(), 8 / 255, steps=3, seed=1)
    r2 = pgd(net_c, x.cuda(), y.cuda(), 8 / 255, steps=3, seed=1)
    assert torch.equal(r1, r2)
    assert all(p.grad is None for p in net_c.parameters())
