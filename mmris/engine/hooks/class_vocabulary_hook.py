"""Check that a model's class vocabulary matches the classes of its data."""
from typing import Optional, Sequence

from mmengine.fileio import load
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmris.registry import HOOKS
from mmris.utils.errors import DatasetError


def model_class_names(model) -> Optional[Sequence[str]]:
    """The vocabulary of the first module of ``model`` that has one
    (``class_names``, e.g. a vocabulary-mode Bridger backbone), or None."""
    model = model.module if is_model_wrapper(model) else model
    for module in model.modules():
        names = getattr(module, 'class_names', None)
        if names is not None:
            return tuple(names)
    return None


def check_vocabulary(model_names: Sequence[str], data_names: Sequence[str], where: str) -> None:
    """Raise ValueError naming both lists when their lengths differ; log a
    warning when only the names differ (e.g. synonyms at test time)."""
    model_names, data_names = list(model_names), list(data_names)
    if len(model_names) != len(data_names):
        raise ValueError(
            f'the model has {len(model_names)} classes (model.backbone.classes) but '
            f'{where} has {len(data_names)} (its metainfo classes): the logits would not '
            f'line up with the labels. Model classes: {model_names}; {where} classes: '
            f'{data_names}. Give both the same list.')
    if model_names != data_names:
        print_log(f'the model names its {len(model_names)} classes differently from {where}; '
                  f'label i is scored against model class i: '
                  f'{[(m, d) for m, d in zip(model_names, data_names) if m != d]}',
                  logger='current', level=30)


def check_annotation_categories(dataset, where: str) -> None:
    """For a COCO-format dataset (mmdet's ``CocoDataset``: ``cat_ids``,
    ``ann_file``), raise DatasetError (a ValueError) naming both lists
    unless its annotation categories give label ``i`` to class ``i`` of its
    metainfo classes.

    mmdet keeps the categories whose names are among the classes, in the
    order of the file, and silently drops the annotations of the others: a
    misspelt, missing or reordered category name would train a class's
    boxes against another class's text, or none. Wrapped datasets
    (``RepeatDataset``, ``ConcatDataset``, ...) are checked inside.
    """
    for inner in getattr(dataset, 'datasets', [getattr(dataset, 'dataset', None)]):
        if inner is not None:
            check_annotation_categories(inner, where)
    cat_ids = getattr(dataset, 'cat_ids', None)
    if cat_ids is None:
        return
    classes = list(dataset.metainfo['classes'])
    categories = {category['id']: category['name']
                  for category in load(dataset.ann_file)['categories']}
    label_names = [categories[cat_id] for cat_id in cat_ids]
    if label_names != classes:
        missing = [name for name in classes if name not in label_names]
        raise DatasetError(
            f'{where}: the categories of {dataset.ann_file} do not match the vocabulary '
            f'(its metainfo classes, which the model scores label i against): annotation '
            f'categories {list(categories.values())}; vocabulary {classes}'
            + (f'; no category is named {missing}' if missing else
               f'; the categories give the labels in the order {label_names}') +
            '. Name the categories as the vocabulary, in the same order.')


@HOOKS.register_module()
class ClassVocabularyHook(Hook):
    """Before training, validation and testing, compare the classes of a
    vocabulary-mode model (``model.backbone.classes``) with the ``classes``
    of the dataset it runs on (see :func:`check_vocabulary`), and a COCO
    dataset's annotation categories with those classes (see
    :func:`check_annotation_categories`). Models without a vocabulary are
    not checked."""

    def _check(self, runner, loader_name: str) -> None:
        names = model_class_names(runner.model)
        if names is None:
            return
        dataset = getattr(runner, loader_name).dataset
        data_names = dataset.metainfo.get('classes')
        if data_names is not None:
            check_vocabulary(names, data_names, f'{loader_name}.dataset')
            check_annotation_categories(dataset, f'{loader_name}.dataset')

    def before_train(self, runner) -> None:
        self._check(runner, 'train_dataloader')

    def before_val(self, runner) -> None:
        self._check(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        self._check(runner, 'test_dataloader')
