#!/usr/bin/env bash
# Shared by dist_train.sh and dist_test.sh: run tools/SCRIPT in N processes
# per node with torchrun (--launcher pytorch).
# SCRIPT first checks its config and inputs once (--preflight-only), so a
# missing file or a bad option is one `error:` line, not one per rank; a
# user error met later, in any rank, is printed once, without torchrun's
# banner (mmris/utils/torchrun.py).
#   tools/launch_torchrun.sh N SCRIPT [script arguments]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT; PYTHON picks the interpreter
# (default: the checkout's .venv, see tool_python.sh).
set -euo pipefail
NPROC=$1
SCRIPT=$2
shift 2
TOOLS=$(dirname "$0")
source "$TOOLS/tool_python.sh"
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" "$TOOLS/$SCRIPT" "$@" --preflight-only
# torchrun's default, set here so that it does not print a notice about it.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
"$PYTHON" -m mmris.utils.torchrun \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$TOOLS/$SCRIPT" --launcher pytorch "$@"
