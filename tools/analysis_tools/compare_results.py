"""How far two test runs' predictions of the same test set agree.

    python tools/analysis_tools/compare_results.py FIRST.pkl SECOND.pkl

Both files are what ``tools/test.py CONFIG WEIGHTS --out FILE.pkl`` dumps
for the same config: for example a checkpoint and the ONNX file exported
from it, a run in fp32 and one with ``--precision bf16``, or an eager and
a ``--compile`` run. Printed: the share of mask pixels that agree, the
share of samples with identical masks, the mean IoU of a sample's two masks
(1 where both are empty) and the largest difference of the probability
maps (:func:`mmris.evaluation.prediction_agreement`). The files are read
without running any code they name (:func:`mmris.evaluation.load_results`).
"""
import argparse

from mmris.benchmark import text_table
from mmris.evaluation import load_results, prediction_agreement
from mmris.utils import UsageError, run_cli


def parse_args():
    parser = argparse.ArgumentParser(description='Compare the predictions of two test runs.')
    parser.add_argument('first', help='results file of tools/test.py --out')
    parser.add_argument('second', help='results file of tools/test.py --out, same test set')
    return parser.parse_args()


def main():
    args = parse_args()
    first, second = load_results(args.first), load_results(args.second)
    try:
        figures = prediction_agreement(first, second)
    except ValueError as error:
        raise UsageError(f'{args.first} and {args.second} are not runs of the same test set: '
                         f'{error}') from None
    prob_diff = figures['max_prob_diff']
    rows = [['samples', str(figures['samples'])],
            ['mask pixels that agree', f'{100 * figures["pixel_agreement"]:.4f}%'],
            ['samples with identical masks', f'{100 * figures["identical_masks"]:.2f}%'],
            ['mean IoU of the two masks', f'{100 * figures["mean_mask_iou"]:.2f}%'],
            ['max probability difference', '-' if prob_diff is None else f'{prob_diff:.2e}']]
    print(f'{args.first} against {args.second}')
    print('\n'.join(text_table(rows)))


if __name__ == '__main__':
    run_cli(main)
