"""Figures on the shape of the code: what a redesign step reports before and after.

    python tools/misc/architecture_report.py            # the checkout this file is in
    python tools/misc/architecture_report.py --root DIR # another checkout, same rules

It prints, as Markdown:

- the folder tree of ``mmris/`` with the modules in each folder;
- the ten longest functions (``def`` spans, docstrings included) in
  ``mmris/``, ``tools/`` and ``projects/``;
- the five largest Python files by line count;
- the import arrows that run from a lower layer up to a higher one, with the
  layers ``utils < datasets < engine, evaluation < models < apis < tools``
  (the package-level modules ``registry``, ``version`` and
  ``config_package`` count as ``utils``; ``visualization`` sits with
  ``engine``; ``deployment`` with ``apis``; a new top-level package of
  ``mmris`` must be given a layer in :data:`LAYERS`);
- inside ``mmris/models``, the imports from one room into another that is
  not a shared one (:data:`SHARED_MODEL_ROOMS`), such as a neck importing
  from ``backbones/``.

The script reads files only (``ast``); it imports nothing of mmris.
"""
import argparse
import ast
import os
import os.path as osp
import sys
from typing import Iterator, List, Optional, Tuple

#: Layer of each top-level part, low to high.
LAYERS = {
    'utils': 0, 'checkpoint': 0, 'registry': 0, 'version': 0, 'config_package': 0,
    'datasets': 1, 'synthetic': 1,
    'engine': 2, 'evaluation': 2, 'visualization': 2,
    'models': 3,
    'apis': 4, 'deployment': 4, 'benchmark': 4,
    'tools': 5,
}
#: Rooms of ``mmris/models`` that every other room may import from; any
#: other import between two rooms (a neck from ``backbones/``) is listed,
#: except those in :data:`MODEL_ROOM_USES`.
SHARED_MODEL_ROOMS = ('layers', 'utils', 'losses')
#: Imports between rooms that the design intends: a backbone runs encoders.
MODEL_ROOM_USES = {('backbones', 'encoders')}
SOURCE_ROOTS = ('mmris', 'tools', 'projects')


def python_files(root: str, folders=SOURCE_ROOTS) -> Iterator[str]:
    """Paths (relative to ``root``) of the ``.py`` files under ``folders``."""
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(osp.join(root, folder)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(('.', '__')))
            for name in sorted(filenames):
                if name.endswith('.py'):
                    yield osp.relpath(osp.join(dirpath, name), root)


def module_tree(root: str) -> List[str]:
    """One line per folder of ``mmris/``: the folder and its module names."""
    lines = []
    base = osp.join(root, 'mmris')
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(('.', '__')))
        depth = osp.relpath(dirpath, base).count(os.sep) + (dirpath != base)
        modules = sorted(f[:-3] for f in filenames if f.endswith('.py') and f != '__init__.py')
        name = osp.basename(dirpath) + '/'
        lines.append('  ' * depth + name + (f'  {", ".join(modules)}' if modules else ''))
    return lines


def longest_functions(root: str, count: int = 10) -> List[Tuple[int, str]]:
    """The ``count`` longest functions: ``(lines, 'path:line name')``."""
    spans = []
    for path in python_files(root):
        with open(osp.join(root, path), encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                spans.append((node.end_lineno - node.lineno + 1,
                              f'{path}:{node.lineno} {node.name}'))
    return sorted(spans, key=lambda s: (-s[0], s[1]))[:count]


def largest_files(root: str, count: int = 5) -> List[Tuple[int, str]]:
    """The ``count`` largest Python files of the repository: ``(lines, path)``."""
    sizes = []
    for path in python_files(root, SOURCE_ROOTS + ('tests',)):
        with open(osp.join(root, path), encoding='utf-8') as f:
            sizes.append((sum(1 for _ in f), path))
    return sorted(sizes, key=lambda s: (-s[0], s[1]))[:count]


def part_of(module: str) -> Optional[str]:
    """The top-level part (a key of :data:`LAYERS`) of a dotted module name
    inside mmris, or ``None`` outside it."""
    names = module.split('.')
    if names[0] != 'mmris':
        return None
    if len(names) == 1 or names[1] == '__init__':
        return 'utils'  # the package's own __init__
    return names[1]


def imported_modules(path: str, tree: ast.AST) -> Iterator[str]:
    """Absolute dotted names imported by the module at ``path``."""
    package = osp.dirname(path).replace(os.sep, '.')
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split('.')
                base = parts[:len(parts) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ''
            yield target


def upward_arrows(root: str) -> List[str]:
    """``'a -> b'`` for each import from a lower layer to a higher one."""
    arrows = set()
    for path in python_files(root, ('mmris', 'tools')):
        with open(osp.join(root, path), encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        source = 'tools' if path.startswith('tools') else part_of(path[:-3].replace(os.sep, '.'))
        if source not in LAYERS:
            sys.exit(f'error: {path}: top-level part {source!r} has no layer; add it to LAYERS')
        for target_module in imported_modules(path, tree):
            target = part_of(target_module)
            if target is None:
                continue
            if target not in LAYERS:
                sys.exit(f'error: {path} imports {target_module}: part {target!r} has no layer; '
                         'add it to LAYERS')
            if LAYERS[target] > LAYERS[source]:
                arrows.add(f'{path} ({source}) -> {target_module} ({target})')
    return sorted(arrows)


def model_arrows(root: str) -> List[str]:
    """``'a -> b'`` for each import from one room of ``mmris/models`` into
    another that is neither shared (:data:`SHARED_MODEL_ROOMS`) nor an
    intended use (:data:`MODEL_ROOM_USES`)."""
    arrows = set()
    for path in python_files(root, (osp.join('mmris', 'models'),)):
        parts = path.split(os.sep)
        if len(parts) < 4:
            continue  # mmris/models/__init__.py
        source = parts[2]
        with open(osp.join(root, path), encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for target_module in imported_modules(path, tree):
            names = target_module.split('.')
            if names[:2] != ['mmris', 'models'] or len(names) < 3:
                continue
            target = names[2]
            if (target in (source, *SHARED_MODEL_ROOMS)
                    or (source, target) in MODEL_ROOM_USES):
                continue
            arrows.add(f'{path} ({source}) -> {target_module} ({target})')
    return sorted(arrows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default=osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), help='the checkout to read (default: this one)')
    args = parser.parse_args(argv)
    print('## Folder tree of mmris/\n```')
    print('\n'.join(module_tree(args.root)))
    print('```\n\n## Ten longest functions\n| lines | function |\n|---|---|')
    for lines, where in longest_functions(args.root):
        print(f'| {lines} | `{where}` |')
    print('\n## Five largest files\n| lines | file |\n|---|---|')
    for lines, where in largest_files(args.root):
        print(f'| {lines} | `{where}` |')
    arrows = upward_arrows(args.root)
    print(f'\n## Upward import arrows ({len(arrows)})')
    for arrow in arrows:
        print(f'- `{arrow}`')
    arrows = model_arrows(args.root)
    print(f'\n## Imports between rooms of mmris/models ({len(arrows)})')
    for arrow in arrows:
        print(f'- `{arrow}`')


if __name__ == '__main__':
    main()
