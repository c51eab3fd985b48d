#!/usr/bin/env bash
# Shared by dist_train.sh and dist_test.sh: run tools/SCRIPT in N processes
# per node with torchrun (--launcher pytorch).
#   tools/launch_torchrun.sh N SCRIPT [script arguments]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR and PORT; PYTHON picks the interpreter
# (default: the checkout's .venv, see tool_python.sh).
set -euo pipefail
NPROC=$1
SCRIPT=$2
shift 2
TOOLS=$(dirname "$0")
source "$TOOLS/tool_python.sh"
PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$TOOLS/$SCRIPT" --launcher pytorch "$@"
