"""The suite's warm ``python`` (tests/mmris_fixtures/warm_python.py) runs a
script as a new interpreter does: the real interpreter, started cold, is
the reference each check compares with."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from mmris_fixtures.warm_python import COLD, WarmPython

SCRIPT = '''
import sys
preloaded = 'mmdet.models' in sys.modules
import json, os, random, warnings
import numpy, torch
sys.stdout.write(json.dumps({
    'name': __name__, 'file': __file__, 'argv': sys.argv, 'cwd': os.getcwd(),
    'path0': sys.path[0], 'path': sys.path, 'variable': os.environ.get('WARM_CHECK'),
    'stdin': sys.stdin.read(), 'executable': sys.executable,
    'draws': [random.random(), float(numpy.random.rand()), float(torch.rand(1))],
    'torch_threads': torch.get_num_threads(), 'preloaded': preloaded}))
print('to stderr', file=sys.stderr)
warnings.warn('a user warning')
if len(sys.argv) > 1 and sys.argv[1] == 'fail':
    raise ValueError('the script failed')
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
'''


@pytest.fixture(scope='module')
def warm():
    """A warm ``python`` started with this process's environment."""
    if os.environ.get(COLD) == '1':
        pytest.skip(f'{COLD}=1 turns the warm python off')
    return WarmPython().executable


@pytest.fixture
def script(tmp_path):
    path = tmp_path / 'scripts' / 'report.py'
    path.parent.mkdir()
    path.write_text(SCRIPT)
    return path


def run(python, *args, cwd, env=None, **kwargs):
    return subprocess.run([python, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          input='from stdin', env=dict(os.environ, WARM_CHECK='yes', **(env or {})),
                          timeout=120, **kwargs)


def report(result):
    return json.loads(result.stdout)


@pytest.mark.parametrize('status', ['0', '3'])
def test_a_script_sees_what_a_new_interpreter_sees(warm, script, tmp_path, status):
    cold, hot = (run(python, script, status, 'more', cwd=tmp_path)
                 for python in (sys.executable, warm))
    assert hot.returncode == cold.returncode == int(status)
    expected, got = report(cold), report(hot)
    assert got.pop('draws') != expected.pop('draws')
    # The differences meant: the warm one has imported the OpenMMLab stack,
    # and the pythons a script starts go through it too.
    assert got.pop('preloaded') and not expected.pop('preloaded')
    assert (got.pop('executable'), expected.pop('executable')) == (warm, sys.executable)
    assert got == expected
    assert expected['name'] == '__main__' and expected['path0'] == str(script.parent)
    assert hot.stderr == cold.stderr  # the print and the warning, once each
    assert 'a user warning' in hot.stderr


def test_a_module_and_unbuffered_output_as_in_a_new_interpreter(warm, script, tmp_path):
    """``python -u -m module``, as torchrun starts its ranks."""
    cold, hot = (run(python, '-u', '-m', 'scripts.report', '5', cwd=tmp_path)
                 for python in (sys.executable, warm))
    assert hot.returncode == cold.returncode == 5
    expected, got = report(cold), report(hot)
    for key in ('draws', 'preloaded', 'executable'):
        got.pop(key), expected.pop(key)
    assert got == expected
    assert expected['argv'] == [str(script), '5'] and expected['path0'] == str(tmp_path)
    assert hot.stderr == cold.stderr


def test_pythonpath_folders_come_first_unless_they_hold_an_imported_package(warm, script,
                                                                          tmp_path):
    """tools/launch_torchrun.sh puts the checkout on PYTHONPATH; a folder
    with a package the warm python has imported (numpy here) gets a new
    interpreter, which imports that one."""
    extra, shadowing = tmp_path / 'extra', tmp_path / 'shadowing'
    extra.mkdir(), shadowing.mkdir()
    (shadowing / 'numpy').mkdir()
    (shadowing / 'numpy' / '__init__.py').write_text('raise ImportError("the shadowing numpy")')
    cold, hot = (run(python, script, cwd=tmp_path, env={'PYTHONPATH': str(extra)})
                 for python in (sys.executable, warm))
    assert report(hot)['path'] == report(cold)['path']
    assert report(hot)['path'][1] == str(extra) and report(hot)['preloaded']
    cold, hot = (run(python, script, cwd=tmp_path, env={'PYTHONPATH': str(shadowing)})
                 for python in (sys.executable, warm))
    assert hot.returncode == cold.returncode == 1
    assert 'the shadowing numpy' in hot.stderr


def test_two_runs_draw_different_random_numbers(warm, script, tmp_path):
    first, second = (report(run(warm, script, cwd=tmp_path))['draws'] for _ in range(2))
    assert all(a != b for a, b in zip(first, second))


def test_an_uncaught_error_is_reported_from_the_script_on(warm, script, tmp_path):
    cold, hot = (run(python, script, 'fail', cwd=tmp_path) for python in (sys.executable, warm))
    assert hot.returncode == cold.returncode == 1
    assert hot.stderr == cold.stderr
    assert hot.stderr.splitlines()[-1] == 'ValueError: the script failed'


def test_thread_count_follows_the_environment_or_runs_cold(warm, script, tmp_path):
    """OMP_NUM_THREADS is read while torch imports: a command that sets it
    otherwise than the warm interpreter's gets a new interpreter."""
    threads = '2' if os.environ.get('OMP_NUM_THREADS') == '1' else '1'
    cold, hot = (run(python, script, cwd=tmp_path, env={'OMP_NUM_THREADS': threads})
                 for python in (sys.executable, warm))
    assert report(hot)['torch_threads'] == report(cold)['torch_threads'] == int(threads)
    assert not report(hot)['preloaded']


def test_what_is_not_a_script_runs_in_the_real_interpreter(warm, tmp_path):
    result = run(warm, '-c', 'import sys; print(sys.argv, sys.flags.no_site)', cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "['-c'] 0"


def test_a_killed_command_takes_its_script_with_it(warm, tmp_path):
    """Killing the launched ``python`` (as subprocess.run's timeout does:
    SIGKILL) ends the script it runs too, as it would in a new interpreter."""
    pid_file = tmp_path / 'pid'
    sleeper = tmp_path / 'sleeper.py'
    sleeper.write_text(f'import os, time\nopen({str(pid_file)!r} + ".tmp", "w").write('
                       f'str(os.getpid()))\nos.rename({str(pid_file)!r} + ".tmp", '
                       f'{str(pid_file)!r})\ntime.sleep(600)\n')
    command = subprocess.Popen([warm, str(sleeper)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    for _ in range(1200):  # the script has started
        if pid_file.exists() or command.poll() is not None:
            break
        time.sleep(0.05)
    command.kill()
    command.communicate()
    pid = int(pid_file.read_text())
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError('the script outlived its command')


def test_a_script_killed_by_a_signal_is_reported_so(warm, tmp_path):
    suicide = tmp_path / 'suicide.py'
    suicide.write_text('import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n')
    cold, hot = (subprocess.run([python, str(suicide)], timeout=120)
                 for python in (sys.executable, warm))
    assert hot.returncode == cold.returncode == -signal.SIGTERM
