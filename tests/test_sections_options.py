"""The paper-code options of the sections: each changes exactly what it says, on a real (MiniWorld) Classifier."""
import numpy as np
import pytest
import torch

from synbench.sections import records_to_frame, corruptions, biases
from synbench.metrics.robustness import r_cc_paper_code, r_cc
from synbench.miniworld import load_model

torch.set_num_threads(1)
KW = dict(limit=24, n_boot=0, batch_size=64)


@pytest.fixture(scope="module")
def model():
    return load_model("miniworld/resnet-real")


def test_corruption_normalization_override_and_running_average(model, tmp_path):
    kw = dict(KW, cache_dir=tmp_path)
    args = dict(corruptions_2d=("snow", "pixelate"), corruptions_3d=(), severities=(1, 5))
    own = records_to_frame(corruptions(model, "miniworld", r_cc_paper_code=True, **args, **kw))
    inet = records_to_frame(corruptions(model, "miniworld", normalization="imagenet", **args, **kw))
    clean = lambda df: df.query("metric == 'Acc_clean'").value.item()
    # MiniWorld models are trained with their own mean/std: ImageNet's changes what the network sees
    assert own.query("metric == 'Acc'").value.to_numpy().tolist() != inet.query("metric == 'Acc'").value.to_numpy().tolist() \
        or clean(own) != clean(inet)
    cells = own.query("metric == 'Acc' and variant.str.contains('-')").value.to_numpy()
    code = own.query("metric == 'Avg_R_cc_paper_code' and dataset == '2DCC'").value.item()
    assert own.query("metric == 'Avg_R_cc_paper_code' and dataset == '2DCC+3DCC'").value.item() == pytest.approx(code)
    assert code == pytest.approx(r_cc_paper_code(list(cells), clean(own)))
    # hand check of the running average: mean of cumulative means over the 4 cells, / clean
    run = np.cumsum(cells) / np.arange(1, len(cells) + 1)
    assert code == pytest.approx(run.mean() / clean(own))
    assert own.query("metric == 'Avg_R_cc' and dataset == '2DCC'").value.item() == pytest.approx(r_cc(list(cells), clean(own)))
    assert "Avg_R_cc_paper_code" not in set(inet.metric)


def test_in9_unnormalised_matches_paper_code_and_is_labelled(model, tmp_path):
    kw = dict(KW, cache_dir=tmp_path)
    own = records_to_frame(biases(model, "miniworld", parts=("in9",), **kw))
    raw = records_to_frame(biases(model, "miniworld", parts=("in9",), in9_normalization="none", **kw))
    assert all("[none normalisation]" in v for v in raw.query("metric == 'Acc'").variant)
    assert not any("normalisation" in v for v in own.query("metric == 'Acc'").variant)
    # independent check: feeding pixels unnormalised = the network on x directly
    x = torch.rand(4, 3, *model.input_size)
    assert torch.allclose(model.with_normalization("none")(x), model.net(x), atol=1e-5)


def test_unknown_normalization_is_refused(model, tmp_path):
    with pytest.raises(ValueError, match="normalization='zca' is unknown"):
        corruptions(model, "miniworld", normalization="zca", corruptions_2d=("snow",), corruptions_3d=(),
                    severities=(1,), cache_dir=tmp_path, **KW)
