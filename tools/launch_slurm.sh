#!/usr/bin/env bash
# Shared by slurm_train.sh and slurm_test.sh: run tools/SCRIPT as a slurm job
# with one task per GPU (--launcher slurm).
# SCRIPT first checks its config and inputs once on this node
# (--preflight-only), so a missing file or a bad option is one `error:` line
# before any job step starts; a user error met later is printed by rank 0.
#   [GPUS=4 GPUS_PER_NODE=4 CPUS_PER_TASK=5 SRUN_ARGS=...] tools/launch_slurm.sh PARTITION JOB_NAME SCRIPT [script arguments]
set -euo pipefail
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
shift 3
TOOLS=$(dirname "$0")
source "$TOOLS/tool_python.sh"
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" "$TOOLS/$SCRIPT" "$@" --preflight-only
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="${GPUS:-4}" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} \
    "$PYTHON" -u "$TOOLS/$SCRIPT" --launcher slurm "$@"
