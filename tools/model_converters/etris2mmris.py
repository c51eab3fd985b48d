"""Convert a checkpoint of the reference ETRIS (kkakkkka/ETRIS) to mmris.

    python tools/model_converters/etris2mmris.py SRC DST [--config CONFIG]
                                                 [--parameter-efficient]
                                                 [--cfg-options KEY=VALUE ...]

SRC is a file written by the reference train.py (``last_model.pth`` or
``best_model.pth``; or its state dict saved as ``.safetensors``):
``state_dict`` with DDP keys (``module.backbone.*``, ``module.bridger.*``,
``module.neck.*``, ``module.decoder.*``, ``module.proj.*``), plus ``optimizer``, ``scheduler``, ``epoch``,
``best_iou``, ``prec``. It is read with mmris' weights-only loader; the
scheduler state's ``collections.Counter`` is the one extra type allowed.

DST gets ``{'meta': ..., 'state_dict': ...}`` for ``load_checkpoint``,
``load_from`` or ``tools/test.py``; a DST ending in ``.safetensors`` gets the
state dict in that format, the meta as JSON under the ``mmris_meta`` key.
Every reference weight is renamed to its mmris key; a key the converter
does not know stops it (exit status 2) with the keys listed. Deliberately
dropped: CLIP's ``logit_scale`` (ETRIS never uses it) and the optimizer
and scheduler state (mmris does not resume a reference run); a summary at the end lists what was dropped.

With ``--config``, the model of that config is built and the converted keys
and shapes must match it exactly (missing, unexpected and mis-shaped keys
are reported and nothing is written otherwise). DST holds the full state
dict, unless ``--parameter-efficient`` (needs ``--config``): then it leaves
out the frozen weights that the config restores bit for bit from its weights
files (``model.backbone.clip_weights``), as tools/train.py saves by default
(see mmris/checkpoint/parameter_efficient.py).
"""
import argparse
import collections
import json
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch

from mmris.checkpoint.loader import safe_load
from mmris.checkpoint.safetensors_file import is_safetensors, save_safetensors
from mmris.utils import UsageError, add_cfg_options_argument, load_config, require_writable_file, run_cli

Rule = Tuple[str, Union[str, Callable[[re.Match], str]]]


def _conv_or_norm(index: str) -> str:
    """Entry ``0`` / ``1`` of the reference's ``conv_layer`` / ``deconv_layer``
    Sequential -> the ``conv`` / ``bn`` of mmris' ConvNormAct."""
    return {'0': 'conv', '1': 'bn'}[index]


def _bridger_zoom(m: re.Match) -> str:
    stage, direction, rest = m['stage'], m['dir'], m['rest']
    if rest in ('weight', 'bias'):  # ResNet Bridger: a plain (transposed) conv
        rest = f'conv.{rest}'
    else:  # ViT Bridger: conv_layer / deconv_layer Sequential
        index, _, tail = rest.partition('.')
        rest = f'{_conv_or_norm(index)}.{tail}'
    return f'backbone.bridger.stages.{stage}.zoom_{direction}.{rest}'


def _bridger_norm(m: re.Match) -> str:
    # ln_v[k] / ln_t[k] normalise the inputs of fused stage k + 1.
    modality = 'vision' if m['mod'] == 'v' else 'text'
    return f'backbone.bridger.stages.{int(m["k"]) + 1}.{modality}_norm.{m["rest"]}'


def _bridger_interactor(m: re.Match) -> str:
    modality = 'vision' if m['mod'] == 'v' else 'text'
    module = 'cross_attn' if m['module'] == 'multihead_attn' else m['module']
    return f'backbone.bridger.stages.{m["stage"]}.{modality}_interactor.{module}.{m["rest"]}'


_INTERACTOR_MODULES = r'multihead_attn|self_attn|linear1|linear2|norm1|norm2|norm3'
_DECODER_MODULES = r'self_attn|self_attn_norm|cross_attn_norm|norm1|norm2|norm3|ffn\.[034]'
_TEXT_KEYS = r'(?:transformer|token_embedding|ln_final)\..+|positional_embedding|text_projection'

#: (pattern on the key without ``module.``, mmris key or function of the match).
#: A pattern must match the whole key; the first that does wins.
RULES: List[Rule] = [
    # CLIP towers (mmris keeps OpenAI's key layout inside each encoder).
    (r'backbone\.visual\.(?P<rest>.+)', r'backbone.vision_encoder.\g<rest>'),
    (rf'backbone\.(?P<rest>{_TEXT_KEYS})', r'backbone.text_encoder.\g<rest>'),
    # Bridger.
    (r'bridger\.zoom_(?P<dir>in|out)\.(?P<stage>\d+)\.(?P<rest>weight|[01]\..+)', _bridger_zoom),
    (r'bridger\.linear1\.(?P<stage>\d+)\.(?P<rest>weight|bias)',
     r'backbone.bridger.stages.\g<stage>.text_in.\g<rest>'),
    (r'bridger\.linear2\.(?P<stage>\d+)\.(?P<rest>weight|bias)',
     r'backbone.bridger.stages.\g<stage>.text_out.\g<rest>'),
    (rf'bridger\.fusion_(?P<mod>[vt])\.(?P<stage>\d+)\.'
     rf'(?P<module>{_INTERACTOR_MODULES})\.(?P<rest>.+)', _bridger_interactor),
    (r'bridger\.ln_(?P<mod>[vt])\.(?P<k>\d+)\.(?P<rest>weight|bias)', _bridger_norm),
    # Neck (the reference's HA).
    (r'neck\.f(?P<level>[345])_proj\.(?P<index>[01])\.(?P<rest>.+)',
     lambda m: f'neck.map_projs.{int(m["level"]) - 3}.{_conv_or_norm(m["index"])}.{m["rest"]}'),
    (r'neck\.txt_proj\.(?P<rest>weight|bias)', r'neck.sentence_proj.\g<rest>'),
    (r'neck\.fusion(?P<level>[345])\.multihead_attn\.(?P<rest>.+)',
     lambda m: f'neck.interactors.{int(m["level"]) - 3}.cross_attn.{m["rest"]}'),
    (r'neck\.aggr\.(?P<index>[01])\.(?P<rest>.+)',
     lambda m: f'neck.aggregate.{_conv_or_norm(m["index"])}.{m["rest"]}'),
    (r'neck\.coordconv\.0\.conv1\.(?P<index>[01])\.(?P<rest>.+)',
     lambda m: f'neck.coord_conv.{_conv_or_norm(m["index"])}.{m["rest"]}'),
    (r'neck\.coordconv\.1\.(?P<index>[01])\.(?P<rest>.+)',
     lambda m: f'neck.out_conv.{_conv_or_norm(m["index"])}.{m["rest"]}'),
    # Decoder (the reference's GA) and projector.
    (r'decoder\.layers\.(?P<layer>\d+)\.multihead_attn\.(?P<rest>.+)',
     r'decode_head.decoder.layers.\g<layer>.cross_attn.\g<rest>'),
    (rf'decoder\.(?P<rest>layers\.\d+\.(?:{_DECODER_MODULES})\..+|norm\.(?:weight|bias))',
     r'decode_head.decoder.\g<rest>'),
    (r'proj\.vis\.(?P<index>[13])\.(?P<sub>[01])\.(?P<rest>.+)',
     lambda m: f'decode_head.vision_proj.{m["index"]}.{_conv_or_norm(m["sub"])}.{m["rest"]}'),
    (r'proj\.vis\.4\.(?P<rest>weight|bias)', r'decode_head.vision_proj.4.\g<rest>'),
    (r'proj\.txt\.(?P<rest>weight|bias)', r'decode_head.text_proj.\g<rest>'),
]

#: Reference weights dropped on purpose, with the reason.
DROPPED_WEIGHTS = {
    'backbone.logit_scale': "CLIP's contrastive temperature, unused by ETRIS",
}
#: Top-level checkpoint entries carried into DST's meta.
META_ENTRIES = ('epoch', 'cur_iou', 'best_iou', 'prec')
#: Top-level checkpoint entries dropped on purpose, with the reason.
DROPPED_ENTRIES = {
    'optimizer': 'reference Adam state; mmris does not resume a reference run',
    'scheduler': 'reference MultiStepLR state; mmris does not resume a reference run',
}

_COMPILED = [(re.compile(pattern), target) for pattern, target in RULES]


class UnmappedKeysError(ValueError):
    """Reference keys the converter has no mmris name for (``.keys``)."""

    def __init__(self, keys: List[str]):
        self.keys = keys
        super().__init__(f'{len(keys)} key(s) have no mmris counterpart: {", ".join(keys)}')


def _without_ddp_prefix(key: str) -> str:
    return key[len('module.'):] if key.startswith('module.') else key


def map_key(key: str) -> Optional[str]:
    """The mmris name of reference key ``key`` (``module.`` prefix optional);
    ``None`` for a weight dropped on purpose.

    Raises:
        KeyError: ``key`` is not a known reference key.
    """
    name = _without_ddp_prefix(key)
    if name in DROPPED_WEIGHTS:
        return None
    for pattern, target in _COMPILED:
        match = pattern.fullmatch(name)
        if match:
            return target(match) if callable(target) else match.expand(target)
    raise KeyError(key)


def convert_state_dict(src: Dict[str, torch.Tensor]
                       ) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Rename a reference ETRIS state dict to mmris keys.

    Returns:
        ``(dst, dropped)``: the mmris state dict (same tensors, in the source
        order) and the source keys dropped on purpose.

    Raises:
        UnmappedKeysError: some keys are unknown (all of them are listed).
        ValueError: two source keys map to the same mmris key.
    """
    dst, dropped, unmapped, origin = {}, [], [], {}
    for key, value in src.items():
        try:
            new_key = map_key(key)
        except KeyError:
            unmapped.append(key)
            continue
        if new_key is None:
            dropped.append(key)
        elif new_key in dst:
            raise ValueError(f'{origin[new_key]!r} and {key!r} both map to {new_key!r}')
        else:
            dst[new_key], origin[new_key] = value, key
    if unmapped:
        raise UnmappedKeysError(unmapped)
    return dst, dropped


def read_reference_checkpoint(path: str) -> dict:
    """Load SRC weights-only; ``collections.Counter`` (MultiStepLR's
    milestones) is allowed in addition to mmris' allow-list, for this load only."""
    if not osp.isfile(path):
        raise UsageError(f'checkpoint {path!r} (SRC) does not exist; pass a file written by '
                         "the reference train.py, e.g. exp/refcoco/B_V16/best_model.pth")
    with torch.serialization.safe_globals([collections.Counter]):
        checkpoint = safe_load(path, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise UsageError(f'{path!r} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    if 'state_dict' not in checkpoint:
        if checkpoint and all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            return {'state_dict': checkpoint}  # a bare state dict
        raise UsageError(f'{path!r} has no state_dict entry (it has '
                         f'{", ".join(map(repr, checkpoint)) or "nothing"}); is it a checkpoint '
                         f'of the reference train.py?')
    return checkpoint


def _plain(value):
    """A meta value as plain Python (a 0-d tensor becomes a number)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _short_list(items: List[str], limit: int = 20) -> str:
    shown = ', '.join(items[:limit])
    return shown + (f' ... and {len(items) - limit} more' if len(items) > limit else '')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert a reference ETRIS checkpoint (kkakkkka/ETRIS train.py) to mmris.')
    parser.add_argument('src', metavar='SRC', help='checkpoint written by the reference train.py')
    parser.add_argument('dst', metavar='DST', help='mmris checkpoint to write')
    parser.add_argument('--config', help='also check the converted keys and shapes against '
                        'the model of this config (e.g. configs/etris/vitb_refcoco.py)')
    parser.add_argument('--parameter-efficient', action='store_true',
                        help='leave out the frozen weights the config restores from its weights '
                        'files (needs --config)')
    add_cfg_options_argument(parser, 'model.backbone.bridger.d_model=32 (with --config)')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.cfg_options and not args.config:
        raise UsageError('--cfg-options needs --config')
    if args.parameter_efficient and not args.config:
        raise UsageError('--parameter-efficient needs --config (the frozen weights it leaves out '
                         'come from the weights files of that config)')
    require_writable_file(args.dst, 'DST')
    checkpoint = read_reference_checkpoint(args.src)
    try:
        state_dict, dropped = convert_state_dict(checkpoint['state_dict'])
    except UnmappedKeysError as error:
        raise UsageError(f'{args.src!r}: {len(error.keys)} key(s) have no mmris counterpart, '
                         f'nothing written: {_short_list(error.keys)}') from None
    except ValueError as error:
        raise UsageError(f'{args.src!r}: {error}') from None

    output = {'state_dict': state_dict}
    if args.config:
        from mmris.apis import init_model
        from mmris.checkpoint.model_fit import check_state_dict_fits
        cfg = load_config(args.config, args.cfg_options)
        model = init_model(cfg, device='cpu')
        check_state_dict_fits(state_dict, model, f'{args.src!r} (converted; nothing written)')
        print(f'checked against {args.config}: all {len(state_dict)} keys and shapes match')
        if args.parameter_efficient:
            from mmris.checkpoint.parameter_efficient import restorable_keys
            from mmris.engine import make_parameter_efficient
            omitted = restorable_keys(state_dict, model, cfg.model)
            make_parameter_efficient(output, omitted, cfg.model)
            print(f'parameter-efficient: left out {len(omitted)} frozen weights that '
                  f'{args.config} restores, kept {len(state_dict)}')

    dropped_entries = {key: DROPPED_ENTRIES.get(key, 'not used by mmris')
                       for key in checkpoint if key != 'state_dict' and key not in META_ENTRIES}
    meta = {
        **output.get('meta', {}),
        'converter': 'tools/model_converters/etris2mmris.py',
        'source': osp.abspath(args.src),
        'source_format': 'ETRIS reference train.py checkpoint (github.com/kkakkkka/ETRIS)',
        **{f'source_{key}': _plain(checkpoint[key]) for key in META_ENTRIES if key in checkpoint},
        'dropped': dropped + sorted(dropped_entries),
    }
    if is_safetensors(args.dst):
        save_safetensors(state_dict, args.dst, metadata={'mmris_meta': json.dumps(meta)})
    else:
        torch.save({'meta': meta, 'state_dict': state_dict}, args.dst)

    components = collections.Counter(key.split('.')[0] for key in state_dict)
    counts = ', '.join(f'{name} {count}' for name, count in components.items())
    print(f'converted {len(state_dict)} weights ({counts}) to {args.dst}')
    kept = [f'{key}={meta["source_" + key]!r}' for key in META_ENTRIES if key in checkpoint]
    if kept:
        print(f'kept in meta: {", ".join(kept)}')
    print('dropped:')
    for key in dropped:
        print(f'  state_dict[{key!r}]: {DROPPED_WEIGHTS[_without_ddp_prefix(key)]}')
    for key, reason in sorted(dropped_entries.items()):
        print(f'  {key!r}: {reason}')
    if not dropped and not dropped_entries:
        print('  nothing')


if __name__ == '__main__':
    run_cli(main)
