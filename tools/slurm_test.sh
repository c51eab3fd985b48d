#!/usr/bin/env bash
# Test a checkpoint on a slurm cluster, one task per GPU.
#   [GPUS=4 GPUS_PER_NODE=4 CPUS_PER_TASK=5 SRUN_ARGS=...] tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/launch_slurm.sh" "$1" "$2" test.py "$3" "$4" "${@:5}"
