#!/usr/bin/env bash
# Test a checkpoint with N processes per node through torchrun: N GPUs, or N
# CPU processes (gloo) on a machine without CUDA.
#   tools/dist_test.sh CONFIG CHECKPOINT N [test.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT NUM_PROCESSES [test.py options]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/launch_torchrun.sh" "$3" test.py "$1" "$2" "${@:4}"
