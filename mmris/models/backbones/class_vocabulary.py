"""Class names and prompt templates: the text of a vocabulary-mode backbone."""
from typing import Sequence, Tuple, Union

from mmseg.utils import get_classes, get_predefined_templates


def resolve_class_names(classes: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Class names from a list, or from an mmseg dataset name.

    Args:
        classes: e.g. ``['road', 'car']``, or a name ``mmseg.utils.get_classes``
            knows (``'ade20k'``, ``'voc'``, ``'cityscapes'``, ...).

    Raises:
        ValueError: an unknown dataset name, an empty list, or an empty or
            non-string class name (named by its index).
    """
    if isinstance(classes, str):
        try:
            classes = get_classes(classes)
        except ValueError as error:
            raise ValueError(f'classes={classes!r} is not a dataset name mmseg knows ({error}); '
                             f'give the class names as a list instead') from error
    names = tuple(classes)
    if not names:
        raise ValueError('classes is empty: give at least one class name')
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f'class name {index} is {name!r}: every class needs a '
                             f'non-empty name, which becomes its text prompt')
    return names


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
