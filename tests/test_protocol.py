"""Issue 13's protocol fixes, each checked against an independent reference: crop-only loading of the 224-px
sets, missing corruption cells, Table 3's running averages, and the other like-for-like options."""
import numpy as np
import pytest
import torch
import torchvision.transforms as T
from PIL import Image

from synbench import sections as S
from synbench.data.datasets import get_dataset_spec

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def lite0():
    from synbench.models import load_model
    try: return load_model("efficientnet_lite0", device="cpu")
    except (ImportError, ValueError) as e: pytest.skip(f"efficientnet_lite0 not available: {e}")


def test_224px_sets_are_only_centre_cropped(lite0, dataset_tree, tmp_path):
    "Item 7: ImageNet-C / 3DCC / cue-conflict files get Hendrycks' CenterCrop(224) only; 'resize' is the paper code's."
    for name in ("imagenet-c", "imagenet-3dcc", "cue-conflict"): assert get_dataset_spec(name).native_size == 224
    assert get_dataset_spec("imagenet-val").native_size is None
    ev = S.Evaluation(lite0, "imagenet", dataset_tree, cache_dir=tmp_path, n_boot=0)
    old = S.Evaluation(lite0, "imagenet", dataset_tree, cache_dir=tmp_path, n_boot=0, native_transform="resize")
    for name in ("imagenet-c", "cue-conflict"):
        ds = ev.dataset(name); img = Image.open(ds.samples.path[0]).convert("RGB")
        ref = T.Compose([T.CenterCrop(224), T.ToTensor()])(img.resize((256, 256)))   # a 256-px file: exact crop
        assert torch.equal(lite0.crop_transform(img.resize((256, 256))), ref)
        assert max(img.size) < 224 and torch.equal(ds[0][0], T.ToTensor()(img))   # fixture files < 224 px: as stored
        assert torch.equal(old.dataset(name)[0][0], lite0.load_transform(img))    # the paper code's resize + crop
        assert old.dataset(name)[0][0].shape[-2:] == (224, 224)
    assert torch.equal(ev.dataset("imagenet-val")[0][0], old.dataset("imagenet-val")[0][0])  # clean set unchanged
    a, b = ev.predict("cue-conflict"), old.predict("cue-conflict")     # cached apart, different inputs
    assert not torch.allclose(torch.as_tensor(a.logits), torch.as_tensor(b.logits))
    with pytest.raises(ValueError, match="native_transform must be one of"):
        S.Evaluation(lite0, "imagenet", dataset_tree, native_transform="zoom")
