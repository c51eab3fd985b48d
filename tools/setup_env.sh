#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment: the one set-up path
# shared by the README, CI (`make test`) and users.
#
#   bash tools/setup_env.sh          # usually run for you by `make demo` / `make test`
#
# Steps:
#   1. `.venv` in the checkout. A torch already importable by $PYTHON is
#      reused (the venv then sees that torch's site-packages); otherwise one is
#      installed: $TORCH_SPEC, by default `torch` where an NVIDIA driver is
#      present and `torch==2.13.0` (a CPU build here) where not.
#   2. mmengine 0.10.x, then mmcv $MMCV_VERSION built from source with its
#      compiled ops (CUDA ops too when torch has CUDA and nvcc is found), in
#      a throwaway build venv with the old setuptools its setup.py needs, so
#      the user's venv stays consistent (`pip check`). The built wheel is cached in $MMRIS_CACHE (outside the checkout) under a
#      key of mmcv, torch, Python and CUDA versions, so later runs and other
#      clones reuse it instead of rebuilding.
#   3. mmsegmentation (which ships CLIP's BPE vocabulary), mmdet,
#      transformers, pycocotools, ONNX Runtime (requirements/*.txt) and mmris itself in
#      editable mode.
#
# Environment overrides: PYTHON, MMRIS_VENV, MMRIS_CACHE, TORCH_SPEC,
# MMCV_VERSION, MAX_JOBS, TORCH_CUDA_ARCH_LIST.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
VENV=${MMRIS_VENV:-$ROOT/.venv}
CACHE=${MMRIS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmris}
MMCV_VERSION=${MMCV_VERSION:-2.1.0}

say() { echo "[setup_env] $*"; }
die() { echo "[setup_env] error: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null || die "no '$PYTHON' on PATH; set PYTHON=/path/to/python3 (3.10 or 3.11)."

# 1. Virtual environment, reusing an importable torch ---------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
    # A torch importable by $PYTHON (system, conda or another venv) is reused:
    # its site-packages folder goes at the end of the new venv's sys.path, so
    # packages installed into the venv still take precedence.
    torch_site=$("$PYTHON" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))' 2>/dev/null || true)
    if [ -n "$torch_site" ]; then
        say "reusing the torch in $torch_site"
        venv_site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        echo "$torch_site" >"$venv_site/mmris-reused-torch.pth"
    fi
fi
PY=$VENV/bin/python
# Root in a container is common; pip's notice about it is not ours to print.
export PIP_ROOT_USER_ACTION=${PIP_ROOT_USER_ACTION:-ignore}
PIP=("$PY" -m pip install --quiet --disable-pip-version-check)

# setuptools and wheel for mmris' editable install: the newest setuptools
# whose pkg_resources (mmengine's Config imports it) is there and quiet
# (requirements/runtime.txt); it meets torch's own requirement (2.13: >=77.0.3).
"${PIP[@]}" --upgrade 'setuptools<80.9' wheel 'mmengine>=0.10.0,<0.11.0'

# 2. torch where none imports; mmcv with compiled ops, built once per
#    (mmcv, torch, python, cuda) -----------------------------------------
installed_key=$VENV/.mmcv-build-key  # which build the venv holds
# One interpreter prints the key of the mmcv build this venv needs, then
# "ops" when the venv holds that build and its compiled ops import (an mmcv
# that crashes the interpreter prints nothing more); it exits 3 when torch
# does not import.
mmcv_probe() {
    "$PY" - "$MMCV_VERSION" "$(cat "$installed_key" 2>/dev/null)" <<'EOF'
import shutil, sys
try:
    import torch
except ImportError:
    sys.exit(3)
cuda = torch.version.cuda if (torch.version.cuda and shutil.which('nvcc')) else None
if torch.version.cuda and not cuda:
    print('[setup_env] warning: torch has CUDA but nvcc is not on PATH, so mmcv gets CPU ops '
          'only; put the CUDA toolkit on PATH and rerun to build its CUDA ops', file=sys.stderr)
key = (f'mmcv-{sys.argv[1]}_torch-{torch.__version__}_py{sys.version_info[0]}'
       f'{sys.version_info[1]}_{"cuda" + cuda if cuda else "cpu"}')
print(key, flush=True)
if sys.argv[2] == key:  # an mmcv built for another torch may crash on import
    try:
        import mmcv.ops  # noqa: F401
        print('ops')
    except Exception:
        pass
EOF
}
probe_status=0
probe=$(mmcv_probe) || probe_status=$?
if [ "$probe_status" = 3 ]; then
    if command -v nvidia-smi >/dev/null 2>&1; then default_torch=torch; else default_torch=torch==2.13.0; fi
    say "installing ${TORCH_SPEC:-$default_torch} (override with TORCH_SPEC=...)"
    "${PIP[@]}" "${TORCH_SPEC:-$default_torch}"
    probe=$(mmcv_probe) || true
fi
build_key=${probe%%$'\n'*}
[ -n "$build_key" ] || die "$PY cannot import torch; see the error above"
wheel_dir=$CACHE/wheels/$build_key
mkdir -p "$wheel_dir"
if [ "$probe" != "$build_key"$'\n'ops ]; then
    (
        flock 9  # one build at a time, even across clones sharing the cache
        if ! ls "$wheel_dir"/mmcv-*.whl >/dev/null 2>&1; then
            force_cuda=0
            case $build_key in *_cuda*) force_cuda=1 ;; esac
            say "building mmcv $MMCV_VERSION with compiled ops ($build_key); this takes about 5 to 10 minutes once"
            tmp=$(mktemp -d)
            trap 'rm -rf "$tmp"' EXIT
            # A throwaway build venv: mmcv's setup.py imports pkg_resources
            # and needs setuptools<70, which torch's own requirement rules
            # out in the user's venv. It sees the venv's packages (torch,
            # numpy) after its own (setuptools<70, wheel, ninja).
            "$PY" -m venv "$tmp/build-venv"
            build_site=$("$tmp/build-venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
            "$PY" -c 'import sys; print("\n".join(p for p in sys.path if p.endswith("-packages")))' \
                >"$build_site/mmris-build-sees-venv.pth"
            "$tmp/build-venv/bin/python" -m pip install --quiet --disable-pip-version-check \
                'setuptools<70' wheel ninja
            # --no-cache-dir: pip's own wheel cache is not keyed by torch version.
            # -g0 after Python's own flags (-g -O3): no debug information,
            # which took a third to a half of each file's compile time and
            # 98 % of the object files' size; the code is the same -O3.
            CFLAGS="${CFLAGS:-} -g0" MMCV_WITH_OPS=1 FORCE_CUDA=$force_cuda MAX_JOBS=${MAX_JOBS:-$(nproc)} \
                "$tmp/build-venv/bin/python" -m pip wheel --quiet --disable-pip-version-check \
                --no-cache-dir --no-build-isolation --no-deps \
                --no-binary mmcv "mmcv==$MMCV_VERSION" -w "$tmp"
            mv "$tmp"/mmcv-*.whl "$wheel_dir"/
        else
            say "reusing the mmcv wheel cached in $wheel_dir"
        fi
    ) 9>"$CACHE/mmcv-build.lock"
    # Into this venv even where an mmcv of the same version is visible from
    # a reused site-packages folder; then its dependencies.
    "$PY" -m pip uninstall --quiet --yes mmcv-lite 2>/dev/null || true
    "${PIP[@]}" --force-reinstall --no-deps "$wheel_dir"/mmcv-*.whl
    "${PIP[@]}" "$wheel_dir"/mmcv-*.whl
    echo "$build_key" >"$installed_key"
fi

# 3. The OpenMMLab stack and mmris ----------------------------------------
"${PIP[@]}" -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" \
    -r "$ROOT/requirements/deploy.txt"
"${PIP[@]}" --no-deps --no-build-isolation -e "$ROOT"
"$PY" -c 'import mmris, mmcv.ops; print("[setup_env] ready: mmris", mmris.__version__, "mmcv", mmcv.__version__)'
