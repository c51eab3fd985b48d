"""mmengine's Config, its text formatted once per content.

``Config.pretty_text`` formats the whole config with yapf every time it is
read. mmengine's Runner reads it four times as it starts (the log, the
dumped config, the visualizer, the runtime-info hook), again at the start of
each test run and for every checkpoint it saves: 0.1 to 0.3 s a time for
mmris' configs, half of what a one-iteration run of a tiny model takes.
:class:`FormattedOnceConfig` gives the same text, formatting each distinct
content once per process.
"""
from typing import Dict

from mmengine.config import Config

#: Formatted config text by the unformatted text it was made from.
_FORMATTED: Dict[str, str] = {}


class FormattedOnceConfig(Config):
    """A :class:`mmengine.config.Config` whose :attr:`pretty_text` runs the
    formatter once per distinct content in a process; the text is mmengine's,
    character for character. Build one from a Config with :meth:`of`."""

    @classmethod
    def of(cls, cfg: Config) -> 'FormattedOnceConfig':
        """``cfg`` as this class, sharing its contents (no copy)."""
        return _sharing(cls, cfg)

    @property
    def pretty_text(self) -> str:
        if not self._format_python_code:
            return super().pretty_text
        unformatted = _unformatted_text(self)
        if unformatted not in _FORMATTED:
            _FORMATTED[unformatted] = super().pretty_text
        return _FORMATTED[unformatted]


def _sharing(cls, cfg: Config, **attributes) -> Config:
    """A ``cls`` instance sharing ``cfg``'s contents, ``attributes`` replaced."""
    other = cls.__new__(cls)
    other.__dict__.update(cfg.__dict__, **attributes)
    return other


def _unformatted_text(cfg: Config) -> str:
    """``cfg.pretty_text`` before the formatter: mmengine's own text of the
    contents, which the formatted text is a function of."""
    return _sharing(Config, cfg, _format_python_code=False).pretty_text
