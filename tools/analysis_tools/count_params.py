"""Count a model's parameters: total, trainable, and per part.

    python tools/analysis_tools/count_params.py CONFIG [--cfg-options KEY=VALUE ...]
                                                [--json OUT.json]

The model is built with random weights (no CLIP file is read). Rows:
Bridger, the encoders' trainable positional embeddings, neck, head (or an
mmdet detector's heads) and the frozen encoders; they add up to the total. Two summary figures:

- "all trainable": every parameter with requires_grad (what the optimizer
  updates; the ETRIS paper's 23.83M for ViT-B/16, 28.82M for RN50), and
- "Bridger-side tunable": Bridger + trainable positional embeddings, the
  part added to / unfrozen in the CLIP backbone.
"""
import argparse
import json
import os.path as osp

from mmris.apis import init_model
from mmris.utils import UsageError, add_cfg_options_argument, load_config, run_cli
from mmris.utils.param_count import GROUP_LABELS, count_parameters


def parse_args():
    parser = argparse.ArgumentParser(description="Count a model's parameters.")
    parser.add_argument('config', help='config file path')
    add_cfg_options_argument(parser, 'model.backbone.bridger.d_model=32')
    parser.add_argument('--json', metavar='OUT', help='also write the counts to this JSON file')
    return parser.parse_args()


def millions(count: int) -> str:
    return f'{count / 1e6:.2f}'


def format_table(counts: dict, title: str) -> str:
    label_width = max(52, *(len(label) for label in GROUP_LABELS.values()))
    header = (f'{"Part":<{label_width}} {"Params (M)":>10} {"Params":>13} '
              f'{"Trainable (M)":>13} {"Trainable":>13}')
    rule = '-' * len(header)

    def row(label, params, trainable=None):
        line = f'{label:<{label_width}} {millions(params):>10} {params:>13,}'
        if trainable is not None:
            line += f' {millions(trainable):>13} {trainable:>13,}'
        return line

    lines = [title, rule, header, rule]
    for key, label in GROUP_LABELS.items():
        group = counts['groups'][key]
        if key in ('detection_heads', 'other') and not group['params']:
            continue
        lines.append(row(label, group['params'], group['trainable']))
    lines += [
        rule,
        row('Total', counts['total'], counts['trainable']),
        rule,
        row('All trainable (requires_grad)', counts['trainable']),
        row('Bridger-side tunable (Bridger + positional emb.)', counts['bridger_side_tunable']),
        row('Frozen', counts['frozen']),
    ]
    return '\n'.join(lines)


def main():
    args = parse_args()
    if args.json and osp.dirname(args.json) and not osp.isdir(osp.dirname(args.json)):
        raise UsageError(f'--json {args.json!r}: folder {osp.dirname(args.json)!r} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    if 'model' not in cfg:
        raise UsageError(f'config {args.config!r} has no model')
    try:
        model = init_model(cfg, checkpoint=None, device='cpu')
    except Exception as error:  # inconsistent sizes from --cfg-options, unknown types, ...
        raise UsageError(f'could not build the model of {args.config!r}: '
                         f'{type(error).__name__}: {error}') from error
    counts = count_parameters(model)
    print(format_table(counts, f'Parameters of {args.config} ({type(model).__name__})'))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, model=type(model).__name__, **counts), f,
                      indent=2)
        print(f'Counts written to {args.json}')


if __name__ == '__main__':
    run_cli(main)
