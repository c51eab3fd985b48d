#!/usr/bin/env bash
# Train with N processes per node through torchrun: N GPUs, or N CPU
# processes (gloo) on a machine without CUDA.
#   tools/dist_train.sh CONFIG N [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NUM_PROCESSES [train.py options]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/launch_torchrun.sh" "$2" train.py "$1" "${@:3}"
