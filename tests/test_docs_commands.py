"""The shell blocks of README.md, docs/*.md and the projects' READMEs run as
printed, or say what they need.

Every ```bash block is either run here or starts with a comment line
``# needs: ...`` that tells the reader what it needs beyond this checkout
(a download, a GPU, a cluster, a browser, your own file). The blocks that
run here run in document order, as a reader follows them, in one scratch
copy of the checkout (links to its files; ``data/`` and ``work_dirs/`` of
its own), with the checkout's ``.venv`` first on ``PATH``:

- ``git clone ... && cd mmris``, ``make setup`` and ``make test`` are what
  this suite and its set-up already are, so they are not run again;
- a ``make`` target made before in the same copy is not made again (``make
  demo`` in README.md and in getting_started.md);
- training and evaluation are cut short through ``MMRIS_CFG_OPTIONS``
  (every tool merges it into its config, see mmris/utils/cli.py): the
  iteration-based configs of the demos train a few iterations, the
  epoch-based ones their epochs on the first few training samples, and every
  val and test set is its first few samples. The numbers they print are not
  checked here (the tools' own tests do that).
"""
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List, NamedTuple

import pytest
from mmris_fixtures import warm_python

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = ['README.md', *sorted(p.relative_to(REPO).as_posix()
                                  for p in (REPO / 'docs').glob('*.md')),
             *sorted(p.relative_to(REPO).as_posix()
                     for p in (REPO / 'projects').glob('*/README.md'))]
NEEDS = re.compile(r'#\s*needs:\s*(.*)')
#: What this suite's set-up and run already are.
ALREADY_DONE = [re.compile(pattern) for pattern in (
    r'git clone \S+( \S+)? mmris && cd mmris', r'make setup', r'make test')]
#: Short evaluation for every block: the first 16 samples of each val and
#: test set (mmengine's ``BaseDataset(indices=...)``).
SHORT_EVALUATION = '+val_dataloader.dataset.indices=16 +test_dataloader.dataset.indices=16'
#: Short training for the iteration-based configs: 4 iterations.
SHORT_TRAINING = 'train_cfg.max_iters=4 train_cfg.val_interval=4'
#: Blocks whose configs count epochs, and their short training: every
#: epoch on the first 16 training samples.
EPOCH_BASED = ('projects/my_refer_data/configs/',)
SHORT_EPOCHS = '+train_dataloader.dataset.indices=16'


class Block(NamedTuple):
    document: str
    line: int
    text: str

    @property
    def needs(self):
        first = self.text.lstrip().splitlines()[0] if self.text.strip() else ''
        match = NEEDS.fullmatch(first.strip())
        return match.group(1).strip() if match else None

    def __str__(self):
        return f'{self.document}:{self.line}'


def shell_blocks() -> List[Block]:
    """The ```bash / ```sh / ```shell blocks of the documents, in order."""
    blocks = []
    for document in DOCUMENTS:
        text = (REPO / document).read_text()
        for match in re.finditer(r'^```(bash|sh|shell)\n(.*?)^```', text, re.M | re.S):
            blocks.append(Block(document, text[:match.start()].count('\n') + 1, match.group(2)))
    return blocks


BLOCKS = shell_blocks()
RUNNABLE = [block for block in BLOCKS if block.needs is None]


def test_every_block_runs_here_or_says_what_it_needs():
    assert len(BLOCKS) > 30  # the documents' blocks were found
    for block in BLOCKS:
        if block.needs is not None:
            assert len(block.needs.split()) >= 2, f'{block}: say what the block needs'
    print(f'{len(RUNNABLE)} of {len(BLOCKS)} blocks run here; the others need:')
    for block in BLOCKS:
        if block.needs is not None:
            print(f'  {block}: {block.needs}')


@pytest.fixture(scope='module')
def checkout(tmp_path_factory):
    """A scratch copy of the checkout: links to its tracked top-level
    entries, a ``.venv`` of links to the running one (marked set up, so
    ``make`` does not set it up again), and ``data/``, ``work_dirs/`` of
    its own. Its ``python`` runs scripts forked from an interpreter that
    has imported torch and the OpenMMLab stack (conftest.WARM_PYTHON), with
    the environment the blocks run in. Yields the folder, that environment
    and the set of command lines run so far."""
    root = tmp_path_factory.mktemp('checkout')
    tracked = subprocess.run(['git', 'ls-files'], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    for name in sorted({path.split('/')[0] for path in tracked}):
        (root / name).symlink_to(REPO / name)
    venv = root / '.venv'
    (venv / 'bin').mkdir(parents=True)
    for entry in Path(sys.prefix).iterdir():
        if not entry.name.startswith('.') and entry.name != 'bin':
            (venv / entry.name).symlink_to(entry)
    (venv / '.mmris-ready').touch()
    env = dict(os.environ, PATH=f'{venv / "bin"}{os.pathsep}{os.environ["PATH"]}',
               VIRTUAL_ENV=str(venv), PYTHONUNBUFFERED='1', DISPLAY='', WAYLAND_DISPLAY='',
               MPLBACKEND='Agg')
    env.pop('PYTHON', None)
    warm = warm_python.WarmPython(env).executable
    for entry in (Path(sys.prefix) / 'bin').iterdir():
        is_python = re.fullmatch(r'python[\d.]*', entry.name)
        (venv / 'bin' / entry.name).symlink_to(warm if is_python else entry)
    yield root, env, set()


def _command(line: str) -> str:
    return line.split('#', 1)[0].strip()


def _lines_to_run(block: Block, done: set) -> str:
    """The block's text without what is already done, as ``:`` lines (so
    that line continuations and loops keep their shape)."""
    lines = []
    for line in block.text.splitlines():
        command = _command(line)
        if command and (command in done or any(p.fullmatch(command) for p in ALREADY_DONE)):
            lines.append(':')
        else:
            lines.append(line)
    return '\n'.join(lines) + '\n'


@pytest.mark.parametrize('block', RUNNABLE, ids=str)
def test_block_runs_as_printed(block, checkout):
    root, env, done = checkout
    epoch_based = any(marker in block.text for marker in EPOCH_BASED)
    env = dict(env, MMRIS_CFG_OPTIONS=' '.join(
        (SHORT_EVALUATION, SHORT_EPOCHS if epoch_based else SHORT_TRAINING)))
    result = subprocess.run(['bash', '-euo', 'pipefail', '-c', _lines_to_run(block, done)],
                            cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=1800)
    done.update(command for command in map(_command, block.text.splitlines())
                if re.fullmatch(r'make [\w-]+', command))
    assert result.returncode == 0, f'{block} failed:\n{block.text}\n{result.stdout[-4000:]}'
