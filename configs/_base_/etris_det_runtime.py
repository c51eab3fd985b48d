# mmdet's runtime for the detection variant, in the mmdet scope (mmdet's
# components by plain names, mmris' as mmris.X), with mmris imported by any
# tool that reads the config (mmdet.apis too) and the model's class list
# checked against each dataset's classes and annotation categories.
_base_ = ['mmdet::_base_/default_runtime.py']
custom_imports = dict(
    imports=['mmris.models', 'mmris.engine', 'mmris.evaluation', 'mmris.datasets'],
    allow_failed_imports=False)
# mmris' Runner under any tool (mmdet's tools/train.py too): CPU distributed
# runs, weights-only checkpoints, the model's parts checked at build.
runner_type = 'mmris.Runner'
custom_hooks = [dict(type='mmris.ClassVocabularyHook')]
