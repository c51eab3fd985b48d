"""mmris registries: children of MMSegmentation's, under the scope ``mmris``.

Being children of mmseg's registries (themselves children of mmengine's)
means that an mmris config (``default_scope = 'mmris'``) finds mmseg's
components by their plain names and mmdet's as ``mmdet.X``, and that mmseg or
mmdet configs find mmris components as ``mmris.X``. mmengine resolves
``scope.X`` from a sibling toolbox only among its root registries' direct
children, so each mmris node is also listed there (it stays mmseg's child
for the lookup of plain names). ``locations`` lists the
modules imported the first time a registry is searched, so components
register themselves lazily, as in mmseg. A registry gets its
location once mmris has a package of such components: ``mmris.models``
holds the ETRIS components, ``mmris.evaluation`` the RIS metric,
``mmris.visualization`` the visualizer and ``mmris.apis`` the inferencer.

mmris components build their children through mmris' ``MODELS``, and it
builds each child in the scope its type names (``'mmdet.FPN'``: mmdet) or
else in the mmris scope, whatever the config's ``default_scope``. mmengine
would otherwise resolve a child's plain name in the default scope's registry,
so an mmdet config (``default_scope = 'mmdet'``) could build
``mmris.BridgedDualEncoder`` but not the ``CLIPTextEncoder`` inside it. A
whole config's model is built through mmengine's root ``MODELS`` (as the
Runner and :func:`mmris.apis.init_model` do), which follows the default scope.
"""
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import DefaultScope, Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import EVALUATOR as MMSEG_EVALUATOR
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import INFERENCERS as MMSEG_INFERENCERS
from mmseg.registry import LOG_PROCESSORS as MMSEG_LOG_PROCESSORS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMSEG_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import RUNNER_CONSTRUCTORS as MMSEG_RUNNER_CONSTRUCTORS
from mmseg.registry import RUNNERS as MMSEG_RUNNERS
from mmseg.registry import TASK_UTILS as MMSEG_TASK_UTILS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

from mmris.utils.mmengine_private import add_root_child, registry_locations


def _mmris_registry(name: str, parent: Registry, locations: list = (),
                    build_func=None) -> Registry:
    """A registry of scope ``mmris`` under ``parent`` (an mmseg registry).

    Its lazy ``locations`` are mmseg's followed by mmris' own, so plain mmseg
    names resolve even before anything of mmseg was imported (mmengine only
    imports the locations of the registry it searches, not its parents').
    It is also listed among the children of mmengine's root registry.
    """
    registry = Registry(name, parent=parent, scope='mmris', build_func=build_func,
                        locations=[*registry_locations(parent), *locations])
    root = parent
    while root.parent is not None:
        root = root.parent
    if root is not parent:
        add_root_child(root, registry)
    return registry


RUNNERS = _mmris_registry('runner', parent=MMSEG_RUNNERS, locations=['mmris.engine'])
RUNNER_CONSTRUCTORS = _mmris_registry(
    'runner constructor', parent=MMSEG_RUNNER_CONSTRUCTORS, locations=['mmris.engine'])
LOOPS = _mmris_registry('loop', parent=MMSEG_LOOPS, locations=['mmris.engine'])
HOOKS = _mmris_registry('hook', parent=MMSEG_HOOKS, locations=['mmris.engine'])

DATASETS = _mmris_registry('dataset', parent=MMSEG_DATASETS, locations=['mmris.datasets'])
DATA_SAMPLERS = _mmris_registry('data sampler', parent=MMSEG_DATA_SAMPLERS, locations=['mmris.datasets'])
TRANSFORMS = _mmris_registry('transform', parent=MMSEG_TRANSFORMS, locations=['mmris.datasets'])


def _build_in_own_scope(cfg, registry: Registry, *args, **kwargs):
    """mmengine's model build function, run in the scope of ``cfg``'s type
    (the part before a dot) or else in the mmris scope, unless ``cfg`` sets
    ``_scope_`` itself. The scope holds while the module's constructor runs,
    so that its own children resolve there too."""
    if isinstance(cfg, dict) and '_scope_' not in cfg:
        obj_type = cfg.get('type')
        scope = obj_type.split('.')[0] if isinstance(obj_type, str) and '.' in obj_type else 'mmris'
        with DefaultScope.overwrite_default_scope(scope):
            return MMSEG_MODELS.build_func(cfg, *args, registry=registry, **kwargs)
    return MMSEG_MODELS.build_func(cfg, *args, registry=registry, **kwargs)


MODELS = _mmris_registry('model', parent=MMSEG_MODELS,
                         locations=['mmris.models', 'mmris.deployment'],
                         build_func=_build_in_own_scope)
MODEL_WRAPPERS = _mmris_registry('model_wrapper', parent=MMSEG_MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _mmris_registry(
    'weight initializer', parent=MMSEG_WEIGHT_INITIALIZERS)
TASK_UTILS = _mmris_registry('task util', parent=MMSEG_TASK_UTILS)

OPTIMIZERS = _mmris_registry('optimizer', parent=MMSEG_OPTIMIZERS, locations=['mmris.engine'])
OPTIM_WRAPPERS = _mmris_registry('optim_wrapper', parent=MMSEG_OPTIM_WRAPPERS, locations=['mmris.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = _mmris_registry(
    'optimizer wrapper constructor',
    parent=MMSEG_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmris.engine'])
PARAM_SCHEDULERS = _mmris_registry(
    'parameter scheduler', parent=MMSEG_PARAM_SCHEDULERS, locations=['mmris.engine'])

METRICS = _mmris_registry('metric', parent=MMSEG_METRICS, locations=['mmris.evaluation'])
EVALUATOR = _mmris_registry('evaluator', parent=MMSEG_EVALUATOR, locations=['mmris.evaluation'])

VISUALIZERS = _mmris_registry('visualizer', parent=MMSEG_VISUALIZERS,
                             locations=['mmris.visualization'])
VISBACKENDS = _mmris_registry('vis_backend', parent=MMSEG_VISBACKENDS)
LOG_PROCESSORS = _mmris_registry(
    'log_processor', parent=MMSEG_LOG_PROCESSORS)

INFERENCERS = _mmris_registry('inferencer', parent=MMSEG_INFERENCERS, locations=['mmris.apis'])
# mmseg has no function registry; inferencers look collate functions up in
# the scope's one.
FUNCTIONS = _mmris_registry('function', parent=MMENGINE_FUNCTIONS)
