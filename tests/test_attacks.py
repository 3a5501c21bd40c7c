"""synbench.attacks: gradients and modes under failure, bad input, CUDA.

The unit cross-checks (closed forms, the re-implementation of torchattacks' FGSM/PGD, projection, eval mode,
batches, seeds, label spaces) live in nbs/20_attacks.ipynb beside the code.
"""
import pytest
import torch
import torch.nn as nn

from synbench.attacks import fgsm, pgd

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
