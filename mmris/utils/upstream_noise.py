"""The upstream warnings and log notices that mmris' tools do not show.

Warnings that mmris causes are fixed where they arise. What is left comes
from mmengine, mmcv, mmseg, mmdet or torch, in code mmris cannot change,
and says nothing a user can act on; each entry below names it and says why
it is hidden. This is the one place for them:

- :data:`WARNINGS`: Python warnings, filtered by :func:`quiet_upstream`
  (the tools, through :func:`mmris.utils.run_cli`) and, for the test suite,
  by the same entries in setup.cfg's ``filterwarnings``
  (tests/test_utils/test_upstream_noise.py keeps the two in step);
- :data:`NOTICES`: log records of mmengine's loggers, dropped by
  :class:`UpstreamNoticeFilter` from the loggers that the tools use
  (mmengine's default logger and each logger an ``mmris.Runner`` makes).

Set ``MMRIS_DEBUG=1`` to see them all again.
"""
import logging
import os
import warnings
from typing import NamedTuple, Tuple, Type

from mmengine.logging import MMLogger


class UpstreamWarning(NamedTuple):
    """A Python warning: its category and the start of its message."""
    category: Type[Warning]
    message: str
    why: str


class Notice(NamedTuple):
    """A log record: the start of its message, or the function that logs it."""
    message: str
    function: str
    why: str


WARNINGS: Tuple[UpstreamWarning, ...] = (
    UpstreamWarning(DeprecationWarning, '`torch.jit.script` is deprecated',
                    "torch's own torch.distributed.optim scripts its optimizers when "
                    "imported, which mmengine.optim does"),
    UpstreamWarning(DeprecationWarning, '`torch.jit.interface` is deprecated',
                    'the same import in torch.distributed.optim'),
    UpstreamWarning(DeprecationWarning, '`torch.jit.script_method` is deprecated',
                    "torch.compile's inductor imports torch.utils.mkldnn, whose classes "
                    'script their methods when defined'),
    UpstreamWarning(DeprecationWarning, "__array__ implementation doesn't accept a copy keyword",
                    "pycocotools' compiled mask decoding under numpy 2 (mmris reads COCO "
                    'masks with it); the masks are right'),
    UpstreamWarning(ImportWarning, '``MultiScaleDeformableAttention`` has been moved',
                    "mmseg's SAN layers import it from mmcv's old place"),
    UpstreamWarning(UserWarning, 'The draw is False',
             "mmseg's SegVisualizationHook announces its default (nothing drawn in training); "
             'tools/test.py --show-dir turns drawing on'),
    UpstreamWarning(UserWarning, '``build_loss`` would be deprecated soon',
                    "mmseg's own BaseDecodeHead builds its losses with it, for every decode "
                    'head (ProjectorHead and TextKernelHead among them)'),
    UpstreamWarning(UserWarning, 'torch.meshgrid',
                    "mmdet's point and anchor generators call torch.meshgrid without "
                    '`indexing`; the grids they build are right'),
    UpstreamWarning(UserWarning, '`reduce_zero_label` will be deprecated',
                    "mmseg's own ADE20K base (which our ADE20K configs inherit) passes "
                    'reduce_zero_label to LoadAnnotations, as all of mmseg 1.x does'),
    UpstreamWarning(UserWarning, "Failed to add <class 'mmengine.visualization.vis_backend",
                    "mmseg's and mmdet's inferencers build the config's visualizer without a "
                    'save_dir; they draw in memory and never use the backend'),
    UpstreamWarning(DeprecationWarning, '__array_wrap__ must accept context and return_scalar',
                    "numpy 2 about mmdet's and mmengine's array subclasses in their drawing "
                    'code; the pictures are right'),
    UpstreamWarning(FutureWarning, '`isinstance',
                    "torch's own ONNX exporter (torch.export) copies its pytree specs, which "
                    'checks `isinstance(treespec, LeafSpec)`, deprecated in torch itself; the '
                    'exported file is right'),
    UpstreamWarning(DeprecationWarning, 'pkg_resources is deprecated as an API',
                    "mmengine.utils.package_utils imports pkg_resources, which mmengine's "
                    "package scopes (mmseg::, mmdet::) read; setuptools<80.9 keeps it"),
)

NOTICES: Tuple[Notice, ...] = (
    Notice('', '_dump_init_info',
           "mmengine's BaseModule.init_weights lists every parameter's initialisation "
           '(about 870 lines for ETRIS) on the console when no log file is open: in the '
           'demos, the inferencer and when a parameter-efficient checkpoint restores its '
           "towers; a Runner's log file still gets the list"),
    Notice('The prefix is not set in metric class', '',
           "mmengine asks every metric for a prefix; mmris' metrics keep mmseg's unprefixed "
           'names (mIoU, not ris/mIoU), which configs and figures use'),
    Notice('"FileClient" will be deprecated', '',
           "mmengine's own CheckpointHook and LoggerHook still build a FileClient"),
    Notice('"HardDiskBackend" is the alias of "LocalBackend"', '',
           "mmengine's FileClient builds it; nothing in mmris asks for it"),
)


class UpstreamNoticeFilter(logging.Filter):
    """Drops the log records of :data:`NOTICES`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not any((notice.function and record.funcName == notice.function)
                       or (notice.message and message.startswith(notice.message))
                       for notice in NOTICES)


NOTICE_FILTER = UpstreamNoticeFilter()


def quiet_logger(logger: logging.Logger) -> None:
    """Drop :data:`NOTICES` from ``logger`` (unless ``MMRIS_DEBUG=1``)."""
    if os.environ.get('MMRIS_DEBUG', '') in ('', '0') and NOTICE_FILTER not in logger.filters:
        logger.addFilter(NOTICE_FILTER)


def quiet_upstream() -> None:
    """Filter :data:`WARNINGS` and drop :data:`NOTICES` from mmengine's
    default logger (unless ``MMRIS_DEBUG=1``); ``mmris.Runner`` does the
    same for the logger it makes."""
    if os.environ.get('MMRIS_DEBUG', '') not in ('', '0'):
        return
    for entry in WARNINGS:
        warnings.filterwarnings('ignore', message=entry.message, category=entry.category)
    quiet_logger(MMLogger.get_instance('mmengine'))
