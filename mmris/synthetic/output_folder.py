"""The output folder of a synthetic-set generator: the generator rewrites
its own earlier files there, and nobody else's.

Each generator marks the folder it writes to with :data:`MARKER`. Before
writing, :func:`claim_output_folder` looks at the folder: one with the
marker holds what a generator wrote before, which is rewritten (``make
demo`` runs the generator again over its own set every time); one without
it that already holds a file the generator would write (a real COCO root,
say) is refused, naming the folder and that file, unless ``overwrite`` is
set. A folder written by an mmris older than the marker has none: pass
``overwrite`` once, or delete it.
"""
import os
import os.path as osp
from typing import Iterable

from mmris.utils.errors import OutputExistsError

#: The file that marks a folder as the output of a synthetic-set generator.
MARKER = '.mmris-synthetic'


def claim_output_folder(out_dir: str, files: Iterable[str], overwrite: bool = False) -> None:
    """Check that ``out_dir`` may take ``files`` (paths relative to it),
    then mark it as a generator's, creating it if needed.

    Raises:
        OutputExistsError: ``out_dir`` has no marker, already holds one of
            ``files``, and ``overwrite`` is False.
    """
    marker = osp.join(out_dir, MARKER)
    if not overwrite and not osp.isfile(marker):
        existing = next((name for name in files if osp.lexists(osp.join(out_dir, name))), None)
        if existing is not None:
            raise OutputExistsError(
                f'output folder {out_dir!r} already holds {existing!r} and was not written by '
                f'a synthetic-set generator (it has no {MARKER}); pick an empty folder, or '
                f'pass --overwrite (overwrite=True) to replace the files of the same names')
    os.makedirs(out_dir, exist_ok=True)
    with open(marker, 'w') as file:
        file.write('Written by the synthetic-set generators of mmris (mmris/synthetic/), which '
                   'rewrite their files in this folder.\n')
