"""Class names and prompt templates: the text of a vocabulary-mode backbone."""
from typing import Sequence, Tuple, Union

from mmdet.evaluation.functional.class_names import get_classes as get_mmdet_classes
from mmseg.utils import get_classes, get_predefined_templates

#: The prefix of a name looked up among mmdet's class lists.
MMDET_PREFIX = 'mmdet.'


def resolve_class_names(classes: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Class names from a list, or the name of a class list of mmseg or mmdet.

    Args:
        classes: e.g. ``['road', 'car']``; a name ``mmseg.utils.get_classes``
            knows (``'ade20k'``, ``'voc'``, ``'cityscapes'``, ...); or
            ``'mmdet.<name>'``, a name mmdet's ``get_classes`` knows
            (``'mmdet.coco'``: COCO's 80 classes), its underscores read as
            spaces, as mmdet's datasets name the classes (``'traffic
            light'``). A dataset type (``'mmdet.CocoDataset'``) names the
            list of its name without ``Dataset`` (``'coco'``).

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
    """The classes of a class-list name of mmseg, or of mmdet after
    ``'mmdet.'`` (see :func:`resolve_class_names`)."""
    lookup, table = get_classes, 'mmseg'
    if name.startswith(MMDET_PREFIX):
        lookup, table = get_mmdet_classes, 'mmdet'
        name = name[len(MMDET_PREFIX):]
        if name.endswith('Dataset'):
            name = name[:-len('Dataset')].lower()
    try:
        names = lookup(name)
    except ValueError as error:
        raise ValueError(f'classes={name!r} is not a class list {table} knows ({error}); give '
                         f'the class names as a list, an mmseg name (\'ade20k\') or '
                         f'\'mmdet.<name>\' (\'mmdet.coco\')') from error
    return [n.replace('_', ' ') for n in names] if table == 'mmdet' else names


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


#: Where a vocabulary-mode model config keeps its class-count arguments:
#: the text-scored heads, whose ``num_classes`` is the vocabulary's length.
VOCABULARY_HEADS = ('decode_head', 'bbox_head', 'roi_head.bbox_head', 'head')


def set_vocabulary(model_cfg: dict, classes: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Give the model config ``model_cfg`` (in place) another vocabulary:
    ``backbone.classes`` and the ``num_classes`` of each head in
    :data:`VOCABULARY_HEADS` that has one. Returns the class names.

    This is the one argument an inferencer needs for another class list:
    no weight depends on it, so the same checkpoint loads.

    Raises:
        ValueError: a bad class list (see :func:`resolve_class_names`), or a
            model without a vocabulary-mode backbone.
    """
    names = resolve_class_names(classes)
    if 'classes' not in model_cfg.get('backbone', {}):
        raise ValueError(f'the model ({model_cfg.get("type")}) has no class vocabulary '
                         f'(model.backbone.classes): another class list cannot be set')
    model_cfg['backbone']['classes'] = list(names)
    for path in VOCABULARY_HEADS:
        head = model_cfg
        for key in path.split('.'):
            head = head.get(key) if isinstance(head, dict) else None
        if isinstance(head, dict) and 'num_classes' in head:
            head['num_classes'] = len(names)
    return names
