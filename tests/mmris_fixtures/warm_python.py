"""Start the suite's tool processes from an interpreter that has imported
torch and the OpenMMLab stack already.

A command-line tool spends about 5 s of this machine's time importing
torch, mmengine, mmcv, mmseg and mmdet before it reads its first argument,
and the suite's tool tests and documented commands start many of them. A
*warm* interpreter imports those packages once (``serve``), then forks a
child for each command. The child runs the script as ``python script.py
args`` would: its own argv, environment, working directory and standard
streams, ``__name__ == '__main__'``, mmris imported afresh, fresh random
seeds (torch's too), exit handlers run, and the exit status passed back.
What the imports printed or warned is printed again in each child, so a
test that reads a tool's output sees what a user sees. What differs from a
new interpreter: the preloaded packages are in ``sys.modules`` already, the
child's parent process is the server's, and the children share one string
hash seed.

``client`` is what a test runs instead of ``python``: a stdlib-only
program that hands its argv, environment, working directory and standard
streams (file descriptors) to the server over a Unix socket, forwards
SIGINT/SIGTERM, and exits as the child did; the script sees the shim as
``sys.executable``, so the pythons it starts (torchrun's ranks) are warm
too. It runs the real interpreter instead (``exec``) for anything but
``python [-u] <script file>|-m <module> ...``, when the server is not
there, or when the environment differs from the server's in a variable read
at import time (see :data:`IMPORT_TIME_VARIABLES`). ``MMRIS_COLD_PYTHON=1``
makes every launch a fresh interpreter.

    python warm_python.py serve SOCKET       # the server (the suite starts it)
    python -S -E warm_python.py client SOCKET SHIM [-u] script.py|-m module args...
"""
import functools
import json
import os
import re
import signal
import socket
import sys

#: Environment variables read while torch and the OpenMMLab stack import
#: (interpreter, thread pools, locale, caches, plotting backend): a command
#: whose environment differs from the server's in one of them runs cold.
IMPORT_TIME_VARIABLES = re.compile(
    r'(PYTHON(?!UNBUFFERED$).+|OMP_.*|MKL_.*|OPENBLAS_.*|KMP_.*|GOMP_.*|LANG|LANGUAGE|LC_.*|'
    r'HF_.*|TRANSFORMERS_.*|TORCH(?!ELASTIC_).*|PYTORCH_.*|CUDA_.*|NVIDIA_.*|LD_.*|MPL.*|'
    r'MATPLOTLIB.*|DISPLAY|WAYLAND_DISPLAY|QT_.*|OPENCV_.*|ORT_.*|XDG_.*|HOME|TMPDIR|TEMP|TMP|'
    r'MMENGINE.*)')
#: What the server imports before it forks: the start-up of every tool.
PRELOAD = ('numpy', 'torch', 'cv2', 'PIL.Image', 'matplotlib', 'mmengine.runner',
           'mmengine.model', 'mmengine.optim', 'mmengine.dataset', 'mmengine.evaluator',
           'mmengine.hooks', 'mmengine.visualization', 'mmcv.ops', 'mmcv.transforms',
           'mmcv.cnn', 'mmseg.models', 'mmseg.datasets', 'mmseg.evaluation',
           'mmseg.visualization', 'mmdet.models', 'mmdet.datasets', 'mmdet.evaluation',
           'mmdet.visualization', 'transformers')
COLD = 'MMRIS_COLD_PYTHON'
#: The socket's name while the server imports (it listens already).
STARTING = '.starting'


def import_environment(environ) -> dict:
    """The variables of ``environ`` that the imports read."""
    return {key: value for key, value in environ.items() if IMPORT_TIME_VARIABLES.fullmatch(key)}


class WarmPython:
    """A server started with ``environ`` (default: this process's) on first
    use of :attr:`executable`, and stopped when this process exits."""

    def __init__(self, environ: dict = None):
        self.environ = dict(os.environ if environ is None else environ)
        self._folder = None

    @property
    def executable(self) -> str:
        """The path of a ``python`` that runs scripts through the server."""
        if self._folder is None:
            self._start()
        return os.path.join(self._folder, 'python')

    def _start(self) -> None:
        import atexit
        import subprocess
        import tempfile
        self._folder = tempfile.mkdtemp(prefix='mmris-warm-python-')
        socket_path = os.path.join(self._folder, 'socket')
        with open(os.path.join(self._folder, 'server.log'), 'wb') as log:
            server = subprocess.Popen([sys.executable, __file__, 'serve', socket_path],
                                      env=self.environ, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT)
        shim = os.path.join(self._folder, 'python')
        with open(shim, 'w') as file:
            file.write(f'#!/bin/sh\nexec "{sys.executable}" -S -E "{__file__}" client '
                       f'"{socket_path}" "$0" "$@"\n')
        os.chmod(shim, 0o755)
        atexit.register(self._stop, server)

    def _stop(self, server) -> None:
        import shutil
        server.terminate()
        server.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


@functools.cache
def warm_python_executable() -> str:
    """This process's warm ``python``, started with its environment on the
    first call (the tools' tests share it)."""
    return WarmPython().executable


# --------------------------------------------------------------------- client
def command_of(argv: list):
    """``python *argv`` as a dict (``script`` or ``module``, ``args``,
    ``unbuffered``), or None where it is something else."""
    unbuffered = False
    while argv[:1] == ['-u']:
        unbuffered, argv = True, argv[1:]
    if argv[:1] == ['-m'] and len(argv) > 1:
        return {'module': argv[1], 'args': argv[2:], 'unbuffered': unbuffered}
    if argv and not argv[0].startswith('-') and os.path.isfile(argv[0]):
        return {'script': argv[0], 'args': argv[1:], 'unbuffered': unbuffered}
    return None


def client(socket_path: str, executable: str, argv: list) -> None:
    """Run ``python *argv`` through the server at ``socket_path``, the
    script seeing ``executable`` (the shim) as ``sys.executable``; never
    returns (exits with the child's status, or execs the real python)."""
    python = sys.executable

    def run_cold():
        os.execv(python, [python, *argv])

    command = command_of(argv)
    if command is None or os.environ.get(COLD) == '1':
        run_cold()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for path in (socket_path, socket_path + STARTING):  # still importing: wait in its queue
        try:
            connection.connect(path)
            break
        except OSError:
            continue
    else:
        run_cold()
    request = json.dumps({**command, 'cwd': os.getcwd(), 'env': dict(os.environ),
                          'executable': os.path.abspath(executable)}).encode()
    socket.send_fds(connection, [len(request).to_bytes(8, 'little') + request], [0, 1, 2])
    replies = connection.makefile('r')
    first = json.loads(replies.readline() or '{"cold": "the server closed"}')
    if 'cold' in first:
        connection.close()
        run_cold()
    child = first['pid']

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    last = replies.readline()
    status = json.loads(last)['status'] if last else -signal.SIGKILL
    if status < 0:  # the child died of a signal: so does this process
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)


# --------------------------------------------------------------------- server
def serve(socket_path: str) -> None:
    """Import :data:`PRELOAD`, then fork a handler for each connection."""
    import importlib
    import tempfile
    import warnings

    environment = import_environment(os.environ)
    before = dict(os.environ)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path + STARTING)
    listener.listen(64)
    # What the imports print or warn, to be printed again by each child.
    printed = {1: b'', 2: b''}
    saved = {fd: os.dup(fd) for fd in printed}
    files = {fd: tempfile.TemporaryFile() for fd in printed}
    sys.stdout.flush(), sys.stderr.flush()
    for fd in printed:
        os.dup2(files[fd].fileno(), fd)
    with warnings.catch_warnings(record=True) as caught:
        for name in PRELOAD:
            importlib.import_module(name)
    sys.stdout.flush(), sys.stderr.flush()
    for fd in printed:
        os.dup2(saved[fd], fd)
        os.close(saved[fd])
        files[fd].seek(0)
        printed[fd] = files[fd].read()
        files[fd].close()
    # Variables the imports set (cv2's Qt paths, for one), set again in each child.
    imports_set = {key: value for key, value in os.environ.items() if before.get(key) != value}
    os.rename(socket_path + STARTING, socket_path)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    parent = os.getppid()
    listener.settimeout(2.0)
    while os.getppid() == parent:  # ends with the test process that started it
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            _reap()
            continue
        sys.stdout.flush(), sys.stderr.flush()
        if os.fork() == 0:
            listener.close()
            _handle(connection, environment, imports_set, printed, caught)
        connection.close()
        _reap()


def _reap() -> None:
    """Collect the handlers that have finished."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _receive(connection):
    """The request dict and the three descriptors a client sent."""
    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    size = int.from_bytes(message[:8], 'little')
    while len(message) < 8 + size:
        message += connection.recv(1 << 20)
    return json.loads(message[8:]), fds


def _path_entries(python_path, cwd: str) -> list:
    """The folders of a PYTHONPATH value, made absolute from ``cwd``."""
    return [os.path.join(cwd, entry) for entry in (python_path or '').split(os.pathsep) if entry]


def _shadows_an_import(python_path, cwd: str) -> bool:
    """Whether a folder of ``python_path`` holds a module or package of the
    name of one imported here (a new interpreter would import that one)."""
    from importlib.machinery import all_suffixes
    names = {name.partition('.')[0] for name in sys.modules}
    suffixes = sorted(all_suffixes(), key=len, reverse=True)  # .py, .pyc, .so, ...

    def module_name(file_name: str) -> str:  # a package folder keeps its name
        return next((file_name[:-len(suffix)] for suffix in suffixes
                     if file_name.endswith(suffix)), file_name)

    for entry in _path_entries(python_path, cwd):
        try:
            listing = os.listdir(entry)
        except OSError:  # missing, or not a folder: nothing to import there
            continue
        if names.intersection(map(module_name, listing)):
            return True
    return False


def _handle(connection, environment, imports_set, printed, caught) -> None:
    """A handler (forked from the server): answers one client, runs its
    command in a child, reports the child's exit status; never returns."""
    request, fds = _receive(connection)
    # The same as the server's, or as its imports set it (a test process that
    # has imported cv2 has its Qt paths).
    differing = sorted(key for key in set(environment) | set(import_environment(request['env']))
                       if request['env'].get(key) not in (environment.get(key),
                                                          imports_set.get(key, environment.get(key))))
    if differing == ['PYTHONPATH'] and not _shadows_an_import(request['env'].get('PYTHONPATH'),
                                                                      request['cwd']):
        differing = []  # tools/launch_torchrun.sh puts the checkout on it
    if differing:
        connection.sendall((json.dumps({'cold': differing}) + '\n').encode())
        os._exit(0)
    child = os.fork()
    if child == 0:
        connection.close()
        os.setpgid(0, 0)
        _run(request, fds, imports_set, printed, caught)
    for fd in fds:
        os.close(fd)
    connection.sendall((json.dumps({'pid': child}) + '\n').encode())
    # Wait for the child; if the client goes away (killed on a timeout), so
    # does the child's process group.
    import select
    try:
        watched = [os.pidfd_open(child), connection]
    except OSError:  # a kernel or sandbox without pidfd_open: look every 50 ms
        watched = [connection]
    while True:
        done, wait_status = os.waitpid(child, os.WNOHANG)
        if done:
            break
        if select.select(watched, [], [], 0.05)[0] == [connection]:
            try:
                os.killpg(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, wait_status = os.waitpid(child, 0)
            break
    status = os.waitstatus_to_exitcode(wait_status)
    try:
        connection.sendall((json.dumps({'status': status}) + '\n').encode())
    except OSError:
        pass
    os._exit(0)


def _run(request, fds, imports_set, printed, caught) -> None:
    """The child: becomes ``python [-u] script|-m module args...``; never
    returns."""
    import atexit
    import random
    import runpy
    import threading
    import traceback
    import warnings

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    ours = _path_entries(os.environ.get('PYTHONPATH'), os.getcwd())
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    os.environ.update(imports_set)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT
                      else signal.SIG_DFL)
    unbuffered = request['unbuffered'] or bool(os.environ.get('PYTHONUNBUFFERED'))
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=unbuffered or stream is sys.stderr or stream.isatty())
    for fd, text in printed.items():
        os.write(fd, text)
    for message in caught:
        warnings.showwarning(message.message, message.category, message.filename,
                             message.lineno)
    # Seeds as a new interpreter has them: Python's and numpy's from the
    # system, torch's too or its fixed default (as torch versions differ).
    random.seed()
    import numpy
    import torch
    numpy.random.seed()
    fixed_default = torch.Generator().initial_seed()
    if torch.initial_seed() == fixed_default:
        torch.manual_seed(fixed_default)
    else:
        torch.seed()
    sys.executable = request['executable']
    # PYTHONPATH's folders come right after the script's, as in a new interpreter.
    theirs = _path_entries(request['env'].get('PYTHONPATH'), request['cwd'])
    sys.path[1:] = theirs + [entry for entry in sys.path[1:] if entry not in ours]
    status = 0
    try:
        if 'module' in request:
            sys.argv = ['-m', *request['args']]
            sys.path[0] = os.getcwd()
            runpy.run_module(request['module'], run_name='__main__', alter_sys=True)
        else:
            sys.argv = [request['script'], *request['args']]
            sys.path[0] = os.path.dirname(os.path.abspath(request['script']))
            runpy.run_path(request['script'], run_name='__main__')
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            status = 0
        elif isinstance(code, int):
            status = code
        else:
            print(code, file=sys.stderr)
            status = 1
    except BaseException as error:
        # The traceback from the script's own frames on, as python prints it.
        frames = error.__traceback__
        while frames and frames.tb_frame.f_code.co_filename in (__file__, runpy.__file__,
                                                                '<frozen runpy>'):
            frames = frames.tb_next
        traceback.print_exception(type(error), error, frames or error.__traceback__)
        status = 1
    try:
        threading._shutdown()
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status & 0xFF)


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve(sys.argv[2])
    else:
        client(sys.argv[2], sys.argv[3], sys.argv[4:])
