"""The synthetic shapes set: deterministic files, labels that match pixels."""
import cv2
import numpy as np

from mmris.datasets import SyntheticShapesDataset
from mmris.datasets.synthetic_shapes import CLASSES
from mmris.synthetic import generate_synthetic_shapes
from mmris.synthetic.shapes import draw_sample


def test_draw_sample_labels_exactly_the_painted_pixels():
    rng = np.random.default_rng(3)
    for _ in range(20):
        image, labels = draw_sample(rng, 48)
        assert image.shape == (48, 48, 3) and labels.shape == (48, 48)
        assert set(np.unique(labels)) <= set(range(len(CLASSES)))
        assert (labels > 0).any()
        # Background noise stays below 60; shapes are painted with 80..255.
        assert (image[labels == 0] < 60).all()
        assert (image[labels > 0].max(axis=-1) >= 80).all()


def test_same_seed_same_files(tmp_path):
    generate_synthetic_shapes(str(tmp_path / 'a'), num_train=3, num_val=2, size=32, seed=5)
    generate_synthetic_shapes(str(tmp_path / 'b'), num_train=3, num_val=2, size=32, seed=5)
    for sub in ('img_dir/train/00002.png', 'ann_dir/val/00001.png'):
        first = cv2.imread(str(tmp_path / 'a' / sub), cv2.IMREAD_UNCHANGED)
        second = cv2.imread(str(tmp_path / 'b' / sub), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(first, second)


def test_dataset_lists_image_and_label_pairs(shapes_root):
    dataset = SyntheticShapesDataset(
        data_root=str(shapes_root),
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'))
    assert len(dataset) == 16
    assert dataset.metainfo['classes'] == CLASSES
    info = dataset.get_data_info(0)
    assert info['img_path'].endswith('img_dir/train/00000.png')
    assert info['seg_map_path'].endswith('ann_dir/train/00000.png')
