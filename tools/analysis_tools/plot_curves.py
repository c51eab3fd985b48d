"""Plot a run's training loss, learning rate and validation IoU.

    python tools/analysis_tools/plot_curves.py WORK_DIR_OR_SCALARS_JSON [--out curves.png]

Reads mmengine's ``vis_data/scalars.json`` (one JSON object per line). Given
a work dir, the newest ``<work_dir>/<timestamp>/vis_data/scalars.json`` (or
``<work_dir>/vis_data/scalars.json``) is used. Training lines (those with
``lr``) give the loss curves (``loss`` and every other ``*loss*`` key) and
the learning rate against their ``step``; the other lines are validation
results, of which ``mIoU`` and ``oIoU`` (percent) are plotted. Writes one
PNG with three panels to ``--out`` (default ``curves.png`` in the current
folder), which must name a ``.png`` file (a folder, or another extension,
is refused before the log is read).
"""
import argparse
import glob
import json
import os.path as osp
from collections import defaultdict

from mmris.utils import UsageError, require_writable_file, run_cli

VAL_KEYS = ('mIoU', 'oIoU')


def find_scalars(path: str) -> str:
    """The scalars.json file that ``path`` (the file or a work dir) names."""
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise UsageError(f'{path!r} is neither a scalars.json file nor a work dir')
    candidates = glob.glob(osp.join(path, 'vis_data', 'scalars.json')) + \
        glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json'))
    if not candidates:
        raise UsageError(f'no vis_data/scalars.json under {path!r}; pass the work dir of a '
                         f'tools/train.py run or the scalars.json file itself')
    return max(candidates, key=lambda p: (osp.getmtime(p), p))


def read_scalars(path: str):
    """(train, val): each a dict key -> list of (step, value)."""
    train, val = defaultdict(list), defaultdict(list)
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                raise UsageError(f'{path}:{number} is not JSON ({error})') from None
            step = entry.get('step', entry.get('iter'))
            if step is None:
                continue
            target = train if 'lr' in entry else val
            for key, value in entry.items():
                if isinstance(value, (int, float)) and key not in ('step', 'iter', 'epoch'):
                    target[key].append((step, value))
    return train, val


def plot(train: dict, val: dict, title: str, out: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    panels = [
        (axes[0], 'loss', [k for k in train if k == 'loss'] +
         sorted(k for k in train if 'loss' in k and k != 'loss'), train),
        (axes[1], 'learning rate', [k for k in train if k == 'lr'], train),
        (axes[2], 'validation (%)', [k for k in VAL_KEYS if k in val], val),
    ]
    for axis, name, keys, source in panels:
        for key in keys:
            steps, values = zip(*source[key])
            axis.plot(steps, values, marker='o' if len(steps) < 20 else None, label=key)
        if keys:
            axis.legend()
        else:
            axis.text(0.5, 0.5, f'no {name} in this log', ha='center', va='center',
                      transform=axis.transAxes)
        axis.set_title(name)
        axis.set_xlabel('step')
        axis.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description='Plot loss, lr and val IoU of a run.')
    parser.add_argument('path', metavar='WORK_DIR_OR_SCALARS_JSON',
                        help='a work dir or its vis_data/scalars.json')
    parser.add_argument('--out', default='curves.png',
                        help='PNG file to write, ending in .png (default: curves.png)')
    args = parser.parse_args()
    require_writable_file(args.out, '--out')
    if not args.out.lower().endswith('.png'):
        raise UsageError(f'--out {args.out!r} does not end in .png; name the PNG file to write, '
                         f'e.g. {osp.splitext(args.out)[0]}.png')
    scalars = find_scalars(args.path)
    train, val = read_scalars(scalars)
    if not train and not val:
        raise UsageError(f'{scalars!r} holds no scalars')
    plot(train, val, scalars, args.out)
    last = {key: val[key][-1] for key in VAL_KEYS if key in val}
    summary = ', '.join(f'{key} {value:.2f} at step {step}' for key, (step, value) in last.items())
    print(f'read {scalars}: {len(train.get("loss", []))} loss points'
          + (f'; last {summary}' if summary else '') + f'\nwrote {args.out}')


if __name__ == '__main__':
    run_cli(main)
