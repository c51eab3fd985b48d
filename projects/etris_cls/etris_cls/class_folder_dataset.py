"""An ImageNet-style image folder: one subfolder of images per class."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from mmris.registry import DATASETS

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class ClassFolderDataset(BaseDataset):
    """Images in ``data_root/data_prefix['img_path']/<class name>/...``.

    Each class is a subfolder named after the class (the name the model's
    prompts use); its images may sit in nested folders. Label ``i`` is the
    ``i``-th name of ``metainfo['classes']`` when given, which must name the
    subfolders exactly; without it the sorted subfolder names are the
    classes. Samples are ``dict(img_path, gt_label)``, sorted by class then path.

    Args:
        shots (int, optional): Keep only the first ``shots`` images of every
            class (in path order): a k-shot training set.
        extensions (Sequence[str]): Image file suffixes (case-insensitive).
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments
            (``data_root``, ``data_prefix``, ``metainfo``, ``pipeline``, ...).

    Raises:
        ValueError: the folder is missing or has no class subfolder, the
            class list does not match the subfolders (both named), a class
            folder holds no image (named), or has fewer than ``shots``.
    """

    def __init__(self, shots: Optional[int] = None,
                 extensions: Sequence[str] = IMAGE_EXTENSIONS, **kwargs):
        if shots is not None and shots < 1:
            raise ValueError(f'shots={shots}: give at least 1 image per class, or None for all')
        self.shots = shots
        self.extensions = tuple(ext.lower() for ext in extensions)
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix['img_path']
        if not osp.isdir(root):
            raise ValueError(f'image folder {root!r} does not exist; set data_root and '
                             f"data_prefix=dict(img_path=...) to a folder of class subfolders")
        folders = sorted(name for name in os.listdir(root) if osp.isdir(osp.join(root, name)))
        if not folders:
            raise ValueError(f'image folder {root!r} has no class subfolders; put the images '
                             f'of each class in a subfolder named after the class')
        classes = self._metainfo.get('classes')
        classes = folders if classes is None else list(classes)
        self._check_classes(root, classes, folders)
        self._metainfo['classes'] = tuple(classes)
        data_list = []
        for label, name in enumerate(classes):
            paths = self._images_in(osp.join(root, name))
            if len(paths) < (self.shots or 1):
                raise ValueError(
                    f'class folder {osp.join(root, name)!r} holds {len(paths)} images with '
                    f'suffix {"/".join(self.extensions)}, but {self.shots or 1} are needed'
                    f'{f" (shots={self.shots})" if self.shots else ""}; add images or '
                    f'remove the class from the folder and the class list')
            data_list += [dict(img_path=path, gt_label=label) for path in paths[:self.shots]]
        return data_list

    @staticmethod
    def _check_classes(root: str, classes: List[str], folders: List[str]) -> None:
        missing = [name for name in classes if name not in folders]
        extra = [name for name in folders if name not in classes]
        if missing or extra:
            raise ValueError(
                f'the class list does not match the subfolders of {root!r}: classes without '
                f'a folder: {missing}; folders not in the class list: {extra}. Rename the '
                f'folders or fix metainfo.classes (and the model classes with it).')
        if len(set(classes)) != len(classes):
            raise ValueError(f'the class list names a class twice: {classes}')

    def _images_in(self, folder: str) -> List[str]:
        """Image files under ``folder`` (recursively), sorted."""
        paths = []
        for parent, _, names in os.walk(folder, followlinks=True):
            paths += [osp.join(parent, name) for name in names
                      if name.lower().endswith(self.extensions)]
        return sorted(paths)
