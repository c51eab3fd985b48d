"""Compare every config of two trees: what a refactor changed in them.

    python tools/misc/config_diff.py dump before.json            # in the old tree
    python tools/misc/config_diff.py dump after.json             # in the new tree
    python tools/misc/config_diff.py diff before.json after.json

``dump`` writes ``Config.fromfile(path).to_dict()`` of every config under
``configs/`` and ``projects/*/configs/`` of the working directory, as JSON
(a config that does not load is recorded with its error, so it shows in the
diff). Run it with the interpreter of the tree it reads: ``mmris::`` bases
resolve to the mmris that interpreter imports. ``diff`` prints, per config,
every key added, removed or changed (dotted paths, list indices in
brackets), and the configs added or removed.
"""
import argparse
import glob
import json
from typing import Any, Dict, List

PATTERNS = ('configs/**/*.py', 'projects/*/configs/**/*.py')


def dump_configs() -> Dict[str, Any]:
    """``{path: to_dict() or 'error: ...'}`` of every config here."""
    from mmengine.config import Config

    import mmris  # noqa: F401  registers the mmris:: scope
    paths = sorted({path for pattern in PATTERNS for path in glob.glob(pattern, recursive=True)})
    configs = {}
    for path in paths:
        try:
            configs[path] = Config.fromfile(path).to_dict()
        except Exception as error:  # recorded, so that the diff shows it
            configs[path] = f'error: {type(error).__name__}: {error}'
    return configs


def differences(before: Any, after: Any, path: str = '') -> List[str]:
    """The changes from ``before`` to ``after``, one line each."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines = []
        for key in sorted(set(before) | set(after), key=str):
            where = f'{path}.{key}' if path else str(key)
            if key not in before:
                lines.append(f'{where}: added {after[key]!r}')
            elif key not in after:
                lines.append(f'{where}: removed {before[key]!r}')
            else:
                lines += differences(before[key], after[key], where)
        return lines
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [line for index, (old, new) in enumerate(zip(before, after))
                for line in differences(old, new, f'{path}[{index}]')]
    return [] if before == after else [f'{path}: {before!r} -> {after!r}']


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    dump = commands.add_parser('dump', help='write every config of this tree as JSON')
    dump.add_argument('out', help='the JSON file to write')
    diff = commands.add_parser('diff', help='print what changed between two dumps')
    diff.add_argument('before')
    diff.add_argument('after')
    args = parser.parse_args(argv)
    if args.command == 'dump':
        configs = dump_configs()
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(configs, f, indent=1, sort_keys=True, default=repr)
        failed = [path for path, cfg in configs.items() if isinstance(cfg, str)]
        print(f'{len(configs)} configs written to {args.out}; {len(failed)} did not load'
              + (f': {", ".join(failed)}' if failed else ''))
        return
    with open(args.before, encoding='utf-8') as f:
        before = json.load(f)
    with open(args.after, encoding='utf-8') as f:
        after = json.load(f)
    for path in sorted(set(before) | set(after)):
        if path not in before or path not in after:
            print(f'== {path}: {"added" if path not in before else "removed"}')
            continue
        lines = differences(before[path], after[path])
        if lines:
            print(f'== {path} ({len(lines)} changes)')
            print('\n'.join(f'   {line}' for line in lines))


if __name__ == '__main__':
    main()
