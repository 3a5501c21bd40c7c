"""Shared pytest fixtures."""
import pytest


@pytest.fixture(scope="session")
def dataset_tree(tmp_path_factory):
    """A data root holding a tiny copy of every evaluation dataset in its real layout (`synbench.testing.make_fixture_tree`);
    read-only by convention: build your own tree to modify files."""
    from synbench.testing import make_fixture_tree
    root = tmp_path_factory.mktemp("datasets")
    make_fixture_tree(root)
    return root
