"""Shared pytest fixtures."""
# --- dataset fixture trees (synbench.data.datasets) -------------------------------------
import sys as _sys_ds
from pathlib import Path as _Path_ds
import pytest as _pytest_ds

if str(_Path_ds(__file__).parent) not in _sys_ds.path:  # makes `import fixtures_datasets` work in any import mode
    _sys_ds.path.insert(0, str(_Path_ds(__file__).parent))


@_pytest_ds.fixture(scope="session")
def dataset_tree(tmp_path_factory):
    """A data root holding a tiny copy of every evaluation dataset in its real layout (see
    tests/fixtures_datasets.py); read-only by convention: build your own tree to modify files."""
    from fixtures_datasets import make_fixture_tree
    root = tmp_path_factory.mktemp("datasets")
    make_fixture_tree(root)
    return root
