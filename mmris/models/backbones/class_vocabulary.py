"""Class names and prompt templates: the text of a vocabulary-mode backbone."""
from typing import Sequence, Tuple, Union

from mmseg.utils import get_classes, get_predefined_templates

from mmris.registry import DATASETS


def resolve_class_names(classes: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Class names from a list, an mmseg dataset name, or a dataset type.

    Args:
        classes: e.g. ``['road', 'car']``; a name ``mmseg.utils.get_classes``
            knows (``'ade20k'``, ``'voc'``, ``'cityscapes'``, ...); or a
            registered dataset type, whose ``METAINFO['classes']`` are taken
            (``'mmdet.CocoDataset'``: COCO's 80 classes).

    Raises:
        ValueError: an unknown name, an empty list, or an empty or
            non-string class name (named by its index).
    """
    if isinstance(classes, str):
        classes = _named_classes(classes)
    names = tuple(classes)
    if not names:
        raise ValueError('classes is empty: give at least one class name')
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f'class name {index} is {name!r}: every class needs a '
                             f'non-empty name, which becomes its text prompt')
    return names


def _named_classes(name: str) -> Sequence[str]:
    """The classes of an mmseg dataset name or of a dataset type's METAINFO."""
    try:
        return get_classes(name)
    except ValueError as error:
        mmseg_error = error
    dataset_type = DATASETS.get(name)
    classes = getattr(dataset_type, 'METAINFO', {}).get('classes')
    if classes is None:
        raise ValueError(f'classes={name!r} is not a dataset name mmseg knows ({mmseg_error}) '
                         f'nor a dataset type with METAINFO classes (such as '
                         f"'mmdet.CocoDataset'); give the class names as a list instead")
    return classes


def resolve_templates(templates: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Prompt templates from a list, or a template set name known to
    ``mmseg.utils.get_predefined_templates`` (``'vild'``, ``'imagenet'``, ...).

    Raises:
        ValueError: an unknown set name, no templates, or a template without
            ``{}`` (where the class name goes).
    """
    if isinstance(templates, str):
        try:
            templates = get_predefined_templates(templates)
        except Exception as error:
            raise ValueError(f'templates={templates!r} is not a template set mmseg knows '
                             f'({error}); give a list such as ["a photo of a {{}}."]') from error
    templates = tuple(templates)
    if not templates:
        raise ValueError('templates is empty: give at least one, e.g. "a photo of a {}."')
    for template in templates:
        if not isinstance(template, str) or '{}' not in template:
            raise ValueError(f'prompt template {template!r} has no "{{}}" for the class name')
    return templates


def class_prompts(class_names: Sequence[str], templates: Sequence[str]) -> list:
    """Every template filled with every class: K * T strings, class-major
    (prompt ``k * T + t`` is class ``k`` in template ``t``)."""
    return [template.format(name) for name in class_names for template in templates]
