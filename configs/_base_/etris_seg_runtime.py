# mmseg's runtime for the semantic-segmentation variant, in the mmris scope
# (mmris' components and mmseg's resolve by plain names), with mmris
# imported by any tool that reads the config (mmseg.apis too) and the
# model's class list checked against each dataset's.
_base_ = ['mmseg::_base_/default_runtime.py']
default_scope = 'mmris'
# mmris' Runner under any tool (mmseg's tools/train.py too): CPU distributed
# runs, weights-only checkpoints, the model's parts checked at build.
runner_type = 'mmris.Runner'
custom_imports = dict(imports=['mmris.models', 'mmris.engine'], allow_failed_imports=False)
custom_hooks = [dict(type='mmris.ClassVocabularyHook')]
