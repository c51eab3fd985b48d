"""Generated data sets, written once per session: synthetic shapes and a
synthetic referring set in the refer layout."""
import pytest


@pytest.fixture(scope='session')
def shapes_root(tmp_path_factory):
    """A small synthetic shapes set (16 train, 4 val images of 32x32)."""
    from mmris.synthetic import generate_synthetic_shapes
    root = tmp_path_factory.mktemp('synthetic_shapes')
    generate_synthetic_shapes(str(root), num_train=16, num_val=4, size=32, seed=0)
    return root


@pytest.fixture(scope='session')
def refcoco_root(tmp_path_factory):
    """A small synthetic referring set in the refer layout (12 images of at
    most 64 px: refcoco/instances.json, refcoco/refs(unc).p, train2014/)."""
    from mmris.synthetic import generate_synthetic_refcoco
    root = tmp_path_factory.mktemp('synthetic_refcoco')
    generate_synthetic_refcoco(str(root), num_images=12, size=64, seed=0)
    return root
