"""Checkpoint safety, in one place: reading pickles and checkpoints without
running code, the state a checkpoint may hold, and whether it fits a model.

- :mod:`.restricted_unpickler`: pickles read with an allow-list of globals
  (also the refs files of the refer release and results dumps);
- :mod:`.loader`: ``torch.load(weights_only=True)`` for every checkpoint,
  and :func:`safe_checkpoint_loading` for mmengine's loaders;
- :mod:`.safetensors_file`: ``.safetensors`` files;
- :mod:`.parameter_efficient`: checkpoints that leave out the frozen weights
  the config restores;
- :mod:`.plain_state`: the runner state written as plain data, so that any
  weights-only loader (mmseg's, mmdet's) opens what mmris trains;
- :mod:`.model_fit`: a checkpoint checked against the model of its config.

This package sits at the layer of :mod:`mmris.utils`, so the data readers,
the engine, the models and the tools all import it.
"""
from mmris.utils.errors import CheckpointError, UnsafeCheckpointError

from .loader import safe_checkpoint_loading, safe_load
from .parameter_efficient import complete_state_dict, make_parameter_efficient
from .restricted_unpickler import load_plain_data, load_with_tensors
from .safetensors_file import load_safetensors, save_safetensors

__all__ = [
    'CheckpointError', 'UnsafeCheckpointError', 'complete_state_dict', 'load_plain_data',
    'load_safetensors', 'load_with_tensors', 'make_parameter_efficient', 'safe_checkpoint_loading',
    'safe_load', 'save_safetensors'
]
