"""Checking what users hand to the inference APIs and demos: images
(paths, arrays or encoded bytes) and referring expressions.

Each check raises an error whose message names the input and what is
wrong with it (``ImageDecodeError`` for bytes that are no image, a
``FileNotFoundError``, ``TypeError`` or ``ValueError`` otherwise), instead
of an error from deep inside OpenCV or the model.
"""
import os.path as osp
from pathlib import Path
from typing import List, Sequence, Union

import cv2
import mmcv
import numpy as np
from mmengine.fileio import get

from mmris.utils.errors import ImageDecodeError

ImageType = Union[str, Path, np.ndarray]
ExpressionsType = Union[str, Sequence[str]]


def decode_image(data: bytes, source: str) -> np.ndarray:
    """Encoded image ``data`` (PNG, JPEG, ...) -> (H, W, 3) uint8 BGR array,
    as ``LoadImageFromFile`` decodes it (EXIF orientation applied).

    Raises:
        ImageDecodeError: ``data`` is empty or not an image; the message
            names ``source``.
    """
    if not data:
        raise ImageDecodeError(f'{source} is empty (0 bytes); pass an image file (PNG, JPEG, ...)')
    try:
        image = mmcv.imfrombytes(data, flag='color', backend='cv2')
    except cv2.error:
        image = None
    if image is None:
        raise ImageDecodeError(f'{source} could not be decoded as an image ({len(data)} bytes); '
                               f'pass an image file (PNG, JPEG, ...)')
    return image


def read_image(path: str) -> np.ndarray:
    """The (H, W, 3) uint8 BGR image at ``path`` (a file or a URL).

    Raises:
        FileNotFoundError: a local ``path`` that is not a file.
        ImageDecodeError: the file is empty or not an image.
    """
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(f'image {path!r} does not exist')
    return decode_image(get(path), f'image {path!r}')


def check_image(image, index: int = 0) -> ImageType:
    """``image`` if it is an (H, W, 3) uint8 array or an existing path
    (returned as a str); ``index`` numbers it in the message otherwise."""
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or \
                0 in image.shape:
            raise ValueError(f'image {index} must be an (H, W, 3) uint8 array in BGR order, '
                             f'got shape {image.shape} of {image.dtype}')
        return image
    if not isinstance(image, (str, Path)):
        raise TypeError(f'image {index} must be a path or an (H, W, 3) uint8 array, '
                        f'got {type(image).__name__}')
    image = str(image)
    if '://' not in image and not osp.isfile(image):
        raise FileNotFoundError(f'image {image!r} does not exist')
    return image


def check_expressions(texts, index: int = 0) -> List[str]:
    """``texts`` (a str or a non-empty sequence of non-empty str) as a list;
    ``index`` numbers the image they belong to in the message otherwise."""
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, (list, tuple)) or not texts:
        raise ValueError(f'image {index} needs at least one expression (a str or a '
                         f'non-empty list of str), got {texts!r}')
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f'image {index}: every expression must be a non-empty str, '
                             f'got {text!r}')
    return list(texts)
