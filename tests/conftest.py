"""Fixtures shared by the tests, defined in tests/mmris_fixtures/ by what
they build and made visible here (the root conftest.py adds the scope, ports
and tool runs):

- datasets.py: generated data sets (``shapes_root``, ``refcoco_root``);
- referring.py: tiny ETRIS configs and models, CLIP weights, a trained run;
- hf_models.py: tiny transformers models and the configs that pair them;
- semantic_seg.py, detection.py: tiny configs of those tasks and the files
  their data sets read;
- shrinking.py: the overrides all of them shrink the shipped configs with;
- logs.py: what mmengine's logger records during a test.
"""
from mmris_fixtures.datasets import refcoco_root, shapes_root
from mmris_fixtures.detection import tiny_det_config, write_coco_dataset
from mmris_fixtures.hf_models import tiny_hf_dir, tiny_pairing_config
from mmris_fixtures.logs import mmengine_log
from mmris_fixtures.referring import (
                                      clip_weights_writer,
                                      etris_config,
                                      schedule_options,
                                      tiny_config,
                                      tiny_etris_cfg,
                                      tiny_model_files,
                                      trained_etris,
)
from mmris_fixtures.semantic_seg import tiny_seg_config, write_seg_dataset

__all__ = [
    'clip_weights_writer', 'etris_config', 'mmengine_log', 'refcoco_root', 'schedule_options', 'shapes_root',
    'tiny_config', 'tiny_det_config', 'tiny_etris_cfg', 'tiny_hf_dir', 'tiny_model_files',
    'tiny_pairing_config', 'tiny_seg_config', 'trained_etris', 'write_coco_dataset',
    'write_seg_dataset'
]
