"""Text in any script on pictures: a chain of fonts, a glyph at a time.

OpenCV's Hershey fonts draw ASCII only (an expression such as "左边的猫"
or "la tasse à café" would lose its characters). :class:`UnicodeText`
draws with PIL, taking each character from the first font of a chain that
has a glyph for it:

1. DejaVu Sans (Latin with accents, Greek, Cyrillic, many symbols), which
   matplotlib ships, so it is always there (also Debian ``fonts-dejavu-core``);
2. a CJK font: Droid Sans Fallback (Debian ``fonts-droid-fallback``), WenQuanYi
   Micro Hei (``fonts-wqy-microhei``) or Noto Sans CJK (``fonts-noto-cjk``);
3. Symbola (Debian ``fonts-symbola``) for emoji and other symbols.

Fonts are looked for under the usual font folders and matplotlib's. A
character no font has is drawn as a hollow box (□), and a warning (once per
:class:`UnicodeText`) names it and the packages to install.
"""
import os
import os.path as osp
import warnings
from functools import lru_cache
from itertools import islice
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import matplotlib
import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

#: The fallback chain: for each link, the font file names that can fill it,
#: the first found wins.
FONT_CHAIN = (
    ('DejaVuSans.ttf', ),
    ('DroidSansFallbackFull.ttf', 'DroidSansFallback.ttf', 'wqy-microhei.ttc',
     'NotoSansCJK-Regular.ttc'),
    ('Symbola_hint.ttf', 'Symbola.ttf'),
)
FONT_FOLDERS = ('/usr/share/fonts', '/usr/local/share/fonts', '~/.local/share/fonts', '~/.fonts',
                osp.join(osp.dirname(matplotlib.__file__), 'mpl-data', 'fonts', 'ttf'))
#: Drawn for a character no font has.
MISSING_GLYPH = '\u25a1'
#: Ends a text cut short by :meth:`UnicodeText.wrap`.
ELLIPSIS = '\u2026'
_HOW_TO_GET_FONTS = ('install fonts that have them, e.g. on Debian/Ubuntu: apt-get install '
                     'fonts-droid-fallback fonts-symbola')


@lru_cache(maxsize=None)
def find_fonts() -> Tuple[str, ...]:
    """Paths of the fonts of :data:`FONT_CHAIN` found on this machine, in
    chain order (a link without any of its files is left out)."""
    wanted = {name for link in FONT_CHAIN for name in link}
    found: Dict[str, str] = {}
    for folder in FONT_FOLDERS:
        for root, _, files in os.walk(osp.expanduser(folder)):
            for name in wanted.intersection(files):
                found.setdefault(name, osp.join(root, name))
    return tuple(next(found[name] for name in link if name in found)
                 for link in FONT_CHAIN if any(name in found for name in link))


@lru_cache(maxsize=None)
def code_points(font_file: str) -> frozenset:
    """The code points ``font_file`` has glyphs for (its first font, for a
    collection)."""
    with TTFont(font_file, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap())


@lru_cache(maxsize=64)
def _font(font_file: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_file, size)


class UnicodeText:
    """Measures, wraps and draws text with a fallback chain of fonts.

    Args:
        font_files (Sequence[str], optional): The chain, first choice
            first; by default :func:`find_fonts`.
    """

    def __init__(self, font_files: Optional[Sequence[str]] = None):
        self.font_files = tuple(find_fonts() if font_files is None else font_files)
        if not self.font_files:
            raise FileNotFoundError('no font found for captions; ' + _HOW_TO_GET_FONTS)
        self.warned = False

    def runs(self, text: str) -> List[Tuple[str, str]]:
        """``text`` cut into ``(font file, characters)`` runs; characters no
        font has become :data:`MISSING_GLYPH` in the first font (with a
        warning the first time)."""
        runs: List[Tuple[str, str]] = []
        missing = []
        for char in text:
            font_file = next((f for f in self.font_files if ord(char) in code_points(f)), None)
            if font_file is None:
                if not char.isspace():
                    missing.append(char)
                font_file, char = self.font_files[0], MISSING_GLYPH if not char.isspace() else ' '
            if runs and runs[-1][0] == font_file:
                runs[-1] = (font_file, runs[-1][1] + char)
            else:
                runs.append((font_file, char))
        if missing and not self.warned:
            self.warned = True
            names = ', '.join(f'{c!r} (U+{ord(c):04X})' for c in dict.fromkeys(missing))
            warnings.warn(f'no caption font has a glyph for {names}: drawn as {MISSING_GLYPH}; '
                          f'{_HOW_TO_GET_FONTS} (fonts in use: '
                          f'{", ".join(map(osp.basename, self.font_files))})', stacklevel=3)
        return runs

    def width(self, text: str, size: int) -> int:
        """Width in pixels of ``text`` at font size ``size``."""
        return int(np.ceil(sum(_font(f, size).getlength(part) for f, part in self.runs(text))))

    def wrap(self, text: str, size: int, width: int,
             max_lines: Optional[int] = None) -> List[str]:
        """``text`` in lines no wider than ``width`` pixels: broken between
        words where it can, between characters otherwise (e.g. in Chinese).

        With ``max_lines`` (at least 1), a text that needs more lines is cut
        after that many, the last ending in :data:`ELLIPSIS` (still no wider
        than ``width``); the rest of the text is not measured, so the cost
        does not grow with its length.
        """
        lines = list(islice(self._lines(text, size, width),
                            None if max_lines is None else max_lines + 1)) or ['']
        if max_lines is None or len(lines) <= max_lines:
            return lines
        last = lines[max_lines - 1]
        while last and self.width(last + ELLIPSIS, size) > width:
            last = last[:-1]
        return lines[:max_lines - 1] + [last.rstrip() + ELLIPSIS]

    def _lines(self, text: str, size: int, width: int) -> Iterator[str]:
        """The non-empty lines of :meth:`wrap`, one at a time."""
        line = ''
        for word in text.split(' '):
            candidate = f'{line} {word}' if line else word
            if self.width(candidate, size) <= width:
                line = candidate
                continue
            if line:
                yield line
            line = ''
            for char in word:
                if line and self.width(line + char, size) > width:
                    yield line
                    line = ''
                line += char
        if line:
            yield line

    def draw_lines(self, image: np.ndarray, lines: Sequence[str], xy: Tuple[int, int],
                   size: int, line_height: int, color: Sequence[int] = (0, 0, 0)) -> np.ndarray:
        """``image`` (H, W, 3 uint8 RGB) with ``lines`` drawn one under the
        other, ``line_height`` pixels apart, the first from ``xy``, the left
        end of its baseline; returns a new array (one copy, whatever the
        number of lines)."""
        canvas = Image.fromarray(image)
        pen = ImageDraw.Draw(canvas)
        fill = tuple(int(c) for c in color)
        left, baseline = xy
        for line in lines:
            x = left
            for font_file, part in self.runs(line):
                font = _font(font_file, size)
                pen.text((x, baseline), part, font=font, fill=fill, anchor='ls')
                x += font.getlength(part)
            baseline += line_height
        return np.asarray(canvas).copy()
