"""mmengine's YAML file handler, parsing each distinct text once per process.

mmengine resolves every ``<scope>::<path>`` base of a config by parsing
``model-index.yml`` and every metafile it lists (see
:mod:`mmris.config_package`, step 3): 101 files for mmdet and 52 for mmseg,
0.2 s each time, for each such base. A detection config of mmris names
four or five of them, so ``Config.fromfile`` took about 1 s, most of it
parsing the same files again.

:func:`register_yaml_parse_cache` replaces mmengine's handler of ``.yml``
and ``.yaml`` files (through its public ``register_handler``) with
:class:`YamlParseCacheHandler`: the same loader, whose result for a text is
kept and handed out as a deep copy, so callers may change what they get.
The cache is keyed by the text itself, so a file that changes is parsed
again. Only texts up to :data:`MAX_CACHED_CHARS` are kept (metafiles are
at most a few tens of KB), so a large YAML file of one's own is not held in
memory. Writing YAML is mmengine's, unchanged.
"""
import copy
import io
from typing import Any, Dict, Union

from mmengine.fileio import YamlHandler, register_handler

#: Longer texts are parsed each time, not kept.
MAX_CACHED_CHARS = 1 << 20


class YamlParseCacheHandler(YamlHandler):
    """mmengine's :class:`YamlHandler` that parses each distinct text once;
    calls with loader options of their own (``Loader=...``) are not cached."""

    def __init__(self):
        super().__init__()
        self._parsed: Dict[Union[str, bytes], Any] = {}

    def load_from_fileobj(self, file, **kwargs):
        if kwargs:
            return super().load_from_fileobj(file, **kwargs)
        text = file.read()  # str, or bytes from a file opened in binary mode
        if text in self._parsed:
            return copy.deepcopy(self._parsed[text])
        stream = io.StringIO(text) if isinstance(text, str) else io.BytesIO(text)
        parsed = super().load_from_fileobj(stream)
        if len(text) <= MAX_CACHED_CHARS:
            self._parsed[text] = copy.deepcopy(parsed)
        return parsed


def register_yaml_parse_cache() -> None:
    """Make mmengine's ``load`` of ``.yml``/``.yaml`` files parse each
    distinct text once per process (see the module docstring)."""
    register_handler(['yaml', 'yml'])(YamlParseCacheHandler)
