# Sourced by the launchers: sets PYTHON, the interpreter that runs the tools.
# An explicit $PYTHON wins; otherwise the checkout's virtual environment
# (make setup's .venv, or $MMRIS_VENV) when it exists; otherwise python.
venv_python="${MMRIS_VENV:-$TOOLS/../.venv}/bin/python"
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$venv_python" ]; then PYTHON=$venv_python; else PYTHON=python; fi
fi
