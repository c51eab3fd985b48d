"""tools/test.py: metrics, --out, --show-dir, batch sizes, precision, and refused input."""
import pickle

import pytest
import torch


def test_evaluates_dumps_and_draws(demo_config, run_tool, demo_options, tmp_path):
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', demo_config, '--work-dir', work_dir,
                      *demo_options(max_iters=2, interval=2))
    assert result.returncode == 0, result.stdout[-3000:]

    out, show_dir = tmp_path / 'results.pkl', tmp_path / 'pictures'
    result = run_tool('test.py', demo_config, work_dir / 'iter_2.pth', '--work-dir', work_dir,
                      '--out', out, '--show-dir', show_dir, *demo_options(max_iters=2, interval=2))
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'mIoU' in result.stdout
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 4
    assert predictions[0]['pred_sem_seg']['data'].shape == (1, 32, 32)
    pictures = sorted(show_dir.rglob('*.png'))
    assert len(pictures) == 4


def test_missing_checkpoint(demo_config, run_tool, tmp_path):
    result = run_tool('test.py', demo_config, tmp_path / 'missing.pth')
    assert result.returncode == 2
    assert result.last_line.startswith('error: checkpoint')
    assert 'missing.pth' in result.last_line and 'does not exist' in result.last_line


def test_malicious_checkpoint_is_refused(demo_config, run_tool, demo_options, tmp_path):
    marker = tmp_path / 'pwned'

    class RunsCommand:

        def __reduce__(self):
            import os
            return os.system, (f'touch {marker}', )

    checkpoint = tmp_path / 'foreign.pth'
    torch.save({'state_dict': {}, 'meta': RunsCommand()}, checkpoint)
    result = run_tool('test.py', demo_config, checkpoint, '--work-dir', tmp_path / 'work',
                      *demo_options(max_iters=2, interval=2))
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: Refused to load checkpoint '{checkpoint}'")
    assert not marker.exists()


def test_out_must_be_a_pickle(demo_config, run_tool, tmp_path):
    checkpoint = tmp_path / 'x.pth'
    torch.save({'state_dict': {}}, checkpoint)
    result = run_tool('test.py', demo_config, checkpoint, '--out', tmp_path / 'results.json')
    assert result.returncode == 2
    assert 'must end with .pkl' in result.last_line


def _metrics(stdout: str) -> dict:
    """The RISMetric figures of tools/test.py's output."""
    import re
    return {name: float(value) for name, value in
            re.findall(r'(mIoU|oIoU|Prec@0\.\d): ([\d.]+)', stdout.splitlines()[-1])}


def test_batched_test_equals_batch_one_and_bf16_runs(refcoco_root, tiny_config, run_tool,
                                                     tmp_path):
    """The same metrics and masks at batch 1 and at batch 3 (a last partial
    batch); --precision bf16 evaluates under autocast, close to fp32."""
    from mmengine.runner import save_checkpoint

    from mmris.registry import MODELS
    from mmris.utils.precision import cpu_supports_bf16
    cfg = tiny_config('vitb')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(refcoco_root)
        cfg[loader].update(num_workers=0, persistent_workers=False)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():  # centre the logits, so that masks are neither empty nor full
        logits = model.logits(torch.randn(2, 3, 64, 64), model.backbone.tokenize(['a', 'b']))
        model.decode_head.text_proj.bias[-1] -= logits.median()
    config_file, checkpoint = tmp_path / 'tiny.py', tmp_path / 'tiny.pth'
    cfg.dump(str(config_file))
    save_checkpoint(model.state_dict(), str(checkpoint))

    runs = {}
    for name, options in (('batch 1', ['--cfg-options', 'test_dataloader.batch_size=1']),
                          ('batch 3', ['--cfg-options', 'test_dataloader.batch_size=3']),
                          ('bf16', ['--precision', 'bf16', '--cfg-options',
                                    'test_dataloader.batch_size=3'])):
        out = tmp_path / f'{name}.pkl'.replace(' ', '_')
        result = run_tool('test.py', config_file, checkpoint, '--work-dir', tmp_path / 'work',
                          '--out', out, *options)
        assert result.returncode == 0, result.stdout[-3000:]
        with open(out, 'rb') as f:
            runs[name] = (_metrics(result.stdout), pickle.load(f))
    (metrics, predictions), (batched_metrics, batched) = runs['batch 1'], runs['batch 3']
    assert len(predictions) > 3 and len(predictions) % 3  # several batches, a partial last one
    assert 0 < metrics['mIoU'] < 100
    assert batched_metrics == pytest.approx(metrics, abs=1e-4)
    for one, many in zip(predictions, batched):
        assert one['img_path'] == many['img_path'] and one['text'] == many['text']
        assert torch.equal(one['pred_sem_seg']['data'], many['pred_sem_seg']['data'])
        torch.testing.assert_close(one['pred_prob']['data'], many['pred_prob']['data'],
                                   rtol=0, atol=1e-5)
    bf16_metrics, bf16 = runs['bf16']
    probs = torch.stack([p['pred_prob']['data'] for p in predictions])
    bf16_probs = torch.stack([p['pred_prob']['data'] for p in bf16])
    assert torch.equal(probs, bf16_probs) != cpu_supports_bf16()  # autocast changed the values
    torch.testing.assert_close(bf16_probs, probs, rtol=0, atol=0.05)
