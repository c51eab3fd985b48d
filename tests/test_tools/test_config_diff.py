"""tools/misc/config_diff.py: the changes between two dumps of a config."""
import importlib.util
import json
import subprocess
from pathlib import Path

from mmris_fixtures.warm_python import warm_python_executable

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'misc' / 'config_diff.py'


def load_tool():
    spec = importlib.util.spec_from_file_location('config_diff', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_differences_name_each_added_removed_and_changed_key():
    before = {'model': {'type': 'ETRIS', 'neck': {'channels': 8}, 'old': 1},
              'steps': [1, 2], 'list': [1]}
    after = {'model': {'type': 'mmris.ETRIS', 'neck': {'channels': 8, 'in_channels': 4}},
             'steps': [1, 3], 'list': [1, 2]}
    assert load_tool().differences(before, after) == [
        'list: [1] -> [1, 2]',
        "model.neck.in_channels: added 4",
        'model.old: removed 1',
        "model.type: 'ETRIS' -> 'mmris.ETRIS'",
        'steps[1]: 2 -> 3',
    ]


def test_diff_lists_configs_added_and_changed(tmp_path):
    before, after = tmp_path / 'before.json', tmp_path / 'after.json'
    before.write_text(json.dumps({'a.py': {'x': 1}, 'gone.py': {}}))
    after.write_text(json.dumps({'a.py': {'x': 2}, 'new.py': {}}))
    result = subprocess.run([warm_python_executable(), str(TOOL), 'diff', str(before), str(after)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        '== a.py (1 changes)', '   x: 1 -> 2', '== gone.py: removed', '== new.py: added']
