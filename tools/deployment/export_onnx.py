"""Export a referring segmentation model (ETRIS) to ONNX.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT [--out FILE.onnx]
        [--batch-size 1] [--int8] [--verify] [--cfg-options KEY=VALUE ...]

The file takes ``image`` (B, 3, H, W), normalised as the config's data
preprocessor does, at the config's input size, and ``token_ids`` (B, L)
int64 from the model's CLIP tokenizer, and gives ``logits`` (B, 1, H / 4,
W / 4), the stride-4 mask logits, and for a model with a no-target head
(gRefCOCO) ``no_target_logits`` (B,) as well; shapes are fixed at export.
Run it with ``RISInferencer(CONFIG, weights=FILE.onnx,
backend='onnxruntime')``, which adds the letterbox, tokenisation and
post-processing of the config (the no-target answer included), or with
``tools/demo/image_demo.py ... --backend onnxruntime``.

``--int8`` writes the network with int8 weights in its matrix products
(ONNX Runtime's dynamic quantisation, :func:`mmris.deployment.quantize_onnx`;
no calibration data needed); it runs wherever the fp32 file does.

``--verify`` runs the file with ONNX Runtime and the model with PyTorch on
the same random batch and prints the largest logit difference and how many
pixels of the two masks agree (probability above the config's threshold),
and the largest difference of the no-target scores where there are some.
Needs ``onnx``, ``onnxscript`` and ``onnxruntime`` (requirements/deploy.txt).
"""
import argparse
import os.path as osp
import tempfile
from pathlib import Path

import torch

from mmris.apis import init_model
from mmris.utils import (
    UsageError,
    add_cfg_options_argument,
    load_config,
    require_at_least,
    require_checkpoint,
    run_cli,
)


def parse_args():
    parser = argparse.ArgumentParser(description='Export a referring model to ONNX.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='ONNX file to write (default: the checkpoint path with '
                        'the suffix .onnx, or _int8.onnx with --int8; for a URL, its file name '
                        'in the current folder)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images per run of the exported network (1)')
    parser.add_argument('--int8', action='store_true',
                        help='quantise the matrix products to int8 (ONNX Runtime, dynamic)')
    parser.add_argument('--verify', action='store_true',
                        help='compare ONNX Runtime with PyTorch on a random batch')
    add_cfg_options_argument(parser, 'model.test_cfg.mask_threshold=0.4')
    return parser.parse_args()


def verify(model: torch.nn.Module, onnx_file: Path, batch_size: int) -> None:
    """Print the largest logit difference and the mask agreement of ONNX
    Runtime and PyTorch on a random batch (and the largest difference of
    the no-target scores, for a model with a no-target head)."""
    from mmris.deployment import logit_agreement, ort_segmentor_config
    from mmris.registry import MODELS
    network = MODELS.build(ort_segmentor_config(onnx_file, model.cfg.model))
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(batch_size, 3, *model.data_preprocessor.size, generator=generator)
    token_ids = model.backbone.tokenize(['the man on the left in a red shirt'] * batch_size)
    with torch.no_grad():
        features = model.features(images, token_ids)
        expected = model.decode_head(features)
    outputs = network.run(images, token_ids)
    figures = logit_agreement(expected, outputs[0], model.test_cfg['mask_threshold'])
    print(f'ONNX Runtime vs PyTorch on a random batch of {batch_size}: logits max abs diff '
          f'{figures["max_abs_diff"]:.2e}, stride-4 mask agreement '
          f'{100 * figures["mask_agreement"]:.4f}%')
    if model.no_target_head is not None:
        with torch.no_grad():
            scores = model.no_target_head(features).sigmoid()
        print(f'no-target scores max abs diff '
              f'{(outputs[1].sigmoid() - scores).abs().max().item():.2e}')


def default_out_file(checkpoint: str, int8: bool) -> Path:
    """The checkpoint's path with the suffix ``.onnx`` (``_int8.onnx``); for
    a URL, its file name in the current folder."""
    local = osp.basename(checkpoint) if '://' in checkpoint else checkpoint
    return Path(osp.splitext(local)[0] + ('_int8.onnx' if int8 else '.onnx'))


def main():
    args = parse_args()
    require_at_least('--batch-size', args.batch_size, 1)
    require_checkpoint(args.checkpoint, 'CHECKPOINT')
    out = Path(args.out) if args.out else default_out_file(args.checkpoint, args.int8)
    if out.suffix != '.onnx':
        raise UsageError(f'--out {str(out)!r} must end with .onnx')
    if not out.parent.is_dir():
        raise UsageError(f'--out {str(out)!r}: folder {str(out.parent)!r} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    model = init_model(cfg, args.checkpoint, device='cpu')
    if not hasattr(model, 'logits'):
        raise UsageError(f'{args.config!r} builds a {type(model).__name__}; only referring '
                         f'segmentation models (ETRIS) export to ONNX')
    try:
        from mmris.deployment import export_onnx, quantize_onnx
        if args.int8:
            with tempfile.TemporaryDirectory() as folder:
                fp32_file = export_onnx(model, Path(folder) / 'fp32.onnx', batch_size=args.batch_size)
                quantize_onnx(fp32_file, out)
        else:
            export_onnx(model, out, batch_size=args.batch_size)
    except ImportError as error:
        raise UsageError(f'exporting needs onnx, onnxscript and onnxruntime ({error}): pip '
                         f'install -r requirements/deploy.txt') from error
    precision = 'int8' if args.int8 else 'fp32'
    print(f'wrote {out} ({out.stat().st_size / 2**20:.1f} MiB, {precision}): image '
          f'{args.batch_size}x3x{"x".join(map(str, model.data_preprocessor.size))}, token_ids '
          f'{args.batch_size}x{model.backbone.text_encoder.text_length} -> stride-4 logits'
          f'{" and no-target logits" if model.no_target_head is not None else ""}')
    if args.verify:
        verify(model, out, args.batch_size)


if __name__ == '__main__':
    run_cli(main)
