"""Label spaces on a GPU. The cross-checks of synbench.data.labelspaces against the libraries and reference
repositories it follows (timm, open_clip, model-vs-human, backgrounds_challenge, FOCUS) and the per-space input
checks live beside the code, in nbs/01_data.labelspaces.ipynb (run by nbdev_test)."""
import pytest
import torch

from synbench.data.labelspaces import LABEL_SPACES, get_labelspace


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_tensors_stay_on_device():
    for name in LABEL_SPACES:
        sp = get_labelspace(name)
        z = torch.randn(4, 1000, device="cuda")
        assert sp.predict(z).device.type == "cuda"
        assert sp.correct(z, torch.zeros(4, dtype=torch.long, device="cuda")).device.type == "cuda"
