"""synbench.metrics.bias: bad input. The cross-checks against model-vs-human's and FOCUS's code live in
nbs/13_metrics.bias.ipynb beside the code."""
import pytest

from synbench.metrics.bias import bg_gap, parse_cue_conflict_name


def test_parse_rejects_bad_names():
    for bad in ["airplane1_bicycle2.png", "airplane1-bicycle.png", "1-2.png", "", "airplane1-bicycle2-cat3.png"]:
        with pytest.raises(ValueError, match="does not match"):
            parse_cue_conflict_name(bad)
    with pytest.raises(ValueError, match="unknown categories"):
        parse_cue_conflict_name("airplane1-bicycle2.png", categories=["dog"])


def test_bg_gap_bad_input():
    assert bg_gap(1, 0) == 1.0
    with pytest.raises(ValueError, match="acc_mixed_rand"):
        bg_gap(0.5, -0.1)
    with pytest.raises(ValueError, match="must be a number"):
        bg_gap("high", 0.1)
