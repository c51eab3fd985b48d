"""tools/test.py on the tiny ETRIS: metrics and --out, batch sizes and
precision, and bad input or data that ends in one line."""
import json
import pickle
import re
import shutil

import pytest
import torch

from mmris.engine import safe_load


def test_evaluates_and_dumps(etris_config, trained_etris, run_tool, tmp_path):
    out = tmp_path / 'results.pkl'
    result = run_tool('test.py', etris_config, trained_etris / 'epoch_1.pth',
                      '--work-dir', tmp_path / 'work', '--out', out)
    assert result.returncode == 0, result.stdout[-3000:]
    # The checkpoint left out what init_weights restores; test.py put it back.
    assert 'is a parameter-efficient checkpoint' in result.stdout
    assert 'mIoU' in result.stdout
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert predictions and all(p['pred_sem_seg']['data'].shape == p['gt_sem_seg']['data'].shape
                               for p in predictions)


def test_a_parameter_efficient_checkpoint_tests_in_bf16(etris_config, trained_etris, run_tool,
                                                        tmp_path):
    """The frozen weights it left out are restored and checked in fp32, then
    stored in bf16: the same test as in fp32, to bf16 rounding."""
    figures = {}
    for precision in ('fp32', 'bf16'):
        result = run_tool('test.py', etris_config, trained_etris / 'epoch_1.pth',
                          '--work-dir', tmp_path / precision, '--precision', precision)
        assert result.returncode == 0, result.stdout[-3000:]
        assert 'is a parameter-efficient checkpoint' in result.stdout
        figures[precision] = _metrics(result.stdout)
    assert figures['bf16'] == pytest.approx(figures['fp32'], abs=2)


def test_missing_checkpoint(etris_config, run_tool, tmp_path):
    result = run_tool('test.py', etris_config, tmp_path / 'missing.pth')
    assert result.returncode == 2
    assert result.last_line.startswith('error: checkpoint')
    assert 'missing.pth' in result.last_line and 'does not exist' in result.last_line


def test_damaged_checkpoint(etris_config, trained_etris, run_tool, tmp_path):
    damaged = tmp_path / 'damaged.pth'
    damaged.write_bytes((trained_etris / 'epoch_1.pth').read_bytes()[:5000])
    result = run_tool('test.py', etris_config, damaged, '--work-dir', tmp_path / 'work')
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: checkpoint '{damaged}' (CHECKPOINT) could not be read")
    # Refused before anything starts: no run folder, and the one line alone.
    assert not (tmp_path / 'work').exists()
    assert result.stdout.strip() == result.last_line


def test_malicious_checkpoint_is_refused(etris_config, run_tool, tmp_path):
    marker = tmp_path / 'pwned'

    class RunsCommand:

        def __reduce__(self):
            import os
            return os.system, (f'touch {marker}', )

    checkpoint = tmp_path / 'foreign.pth'
    torch.save({'state_dict': {}, 'meta': RunsCommand()}, checkpoint)
    result = run_tool('test.py', etris_config, checkpoint, '--work-dir', tmp_path / 'work')
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: Refused to load checkpoint '{checkpoint}'")
    assert not marker.exists()


def test_frozen_weights_other_than_the_trained_ones_are_refused(etris_config, trained_etris,
                                                                run_tool, tmp_path):
    checkpoint = safe_load(str(trained_etris / 'epoch_1.pth'))
    info = checkpoint['meta']['parameter_efficient']
    assert info['omitted_keys']  # the towers, which init_weights reads from the CLIP file
    # As if the towers had been trained on other weights than those restored:
    checkpoint['meta']['parameter_efficient'] = dict(info, fingerprint='sha256:' + '0' * 64)
    other = tmp_path / 'other.pth'
    torch.save(checkpoint, other)
    result = run_tool('test.py', etris_config, other, '--work-dir', tmp_path / 'work')
    assert result.returncode == 2
    assert result.last_line.startswith(f"error: '{other}' is a parameter-efficient checkpoint "
                                       'trained on other frozen weights')


@pytest.mark.parametrize('flag', ['--out', '--show-dir'])
def test_unwritable_outputs_are_refused_first(etris_config, trained_etris, run_tool, tmp_path,
                                              flag):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    target = blocker / ('results.pkl' if flag == '--out' else 'pictures')
    result = run_tool('test.py', etris_config, trained_etris / 'epoch_1.pth', '--work-dir',
                      tmp_path / 'work', flag, target)
    assert result.returncode == 2
    assert f"'{blocker}' is a file" in result.last_line and flag in result.last_line
    assert not (tmp_path / 'work').exists()  # refused before any work


def test_out_must_be_a_pickle(etris_config, run_tool, tmp_path):
    checkpoint = tmp_path / 'x.pth'
    torch.save({'state_dict': {}}, checkpoint)
    result = run_tool('test.py', etris_config, checkpoint, '--out', tmp_path / 'results.json')
    assert result.returncode == 2
    assert 'must end with .pkl' in result.last_line


def _break_data(root, problem: str):
    """Copy of the generated referring set ``root`` with ``problem``."""
    if problem == 'missing data root':
        return root / 'nowhere'
    if problem == 'instances.json not JSON':
        (root / 'refcoco' / 'instances.json').write_text('{"images": [')
    elif problem == 'missing annotation id':
        from mmris.datasets.refcoco import load_refs
        tested = {ref['ann_id'] for ref in load_refs(str(root / 'refcoco' / 'refs(unc).p'))
                  if ref['split'] == 'val'}
        instances = json.loads((root / 'refcoco' / 'instances.json').read_text())
        instances['annotations'] = [ann for ann in instances['annotations']
                                    if ann['id'] not in tested]
        (root / 'refcoco' / 'instances.json').write_text(json.dumps(instances))
    elif problem == 'deleted image':
        for image in (root / 'train2014').iterdir():
            image.unlink()
    return root


@pytest.mark.parametrize('problem,message', [
    # the pre-flight check names the config key before any file is read
    ('missing data root', r"test_dataloader.dataset.data_root '.*nowhere' does not exist; get the "
                          r"data \(docs/dataset_preparation.md\)"),
    ('instances.json not JSON', r'refcoco/instances.json is not a JSON file \(Expecting value: '
                                r'line 1 column 13'),
    ('missing annotation id', r'refs\(unc\).p ref \d+: annotation id \d+ is not in '
                              r'.*refcoco/instances.json'),
    ('deleted image', r'refs\(unc\).p ref \d+ \(.*COCO_train2014_\d+.jpg.*\) could not be '
                      r'loaded: .*No such file'),
])
def test_data_problems_end_in_one_line(etris_config, trained_etris, refcoco_root, run_tool,
                                       tmp_path, problem, message):
    data_root = _break_data(shutil.copytree(refcoco_root, tmp_path / 'data'), problem)
    result = run_tool('test.py', etris_config, trained_etris / 'epoch_1.pth', '--work-dir',
                      tmp_path / 'work', '--cfg-options',
                      f'test_dataloader.dataset.data_root={data_root}')
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line.startswith('error: ')
    assert re.search(message, result.last_line), result.last_line
    assert 'Traceback' not in result.stdout


def _metrics(stdout: str) -> dict:
    """The RISMetric figures of tools/test.py's output."""
    return {name: float(value) for name, value in
            re.findall(r'(mIoU|oIoU|Prec@0\.\d): ([\d.]+)', stdout.splitlines()[-1])}


def test_batched_test_equals_batch_one_and_bf16_runs(refcoco_root, tiny_config, run_tool,
                                                     tmp_path):
    """The same metrics and masks at batch 1 and at batch 3 (a last partial
    batch); --precision bf16 evaluates under autocast, close to fp32;
    --compile gives the batch-1 run's masks to rounding."""
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
                                    'test_dataloader.batch_size=3']),
                          ('compiled', ['--compile', '--cfg-options',
                                        'test_dataloader.batch_size=1'])):
        out = tmp_path / f'{name}.pkl'.replace(' ', '_')
        result = run_tool('test.py', config_file, checkpoint, '--work-dir', tmp_path / 'work',
                          '--out', out, *options)
        assert result.returncode == 0, result.stdout[-3000:]
        assert ('backbone, neck, decode_head compiled' in result.stdout) == (name == 'compiled')
        with open(out, 'rb') as f:
            runs[name] = (_metrics(result.stdout), pickle.load(f))
    (metrics, predictions), (batched_metrics, batched) = runs['batch 1'], runs['batch 3']
    assert len(predictions) > 3 and len(predictions) % 3  # several batches, a partial last one
    assert 0 < metrics['mIoU'] < 100
    assert batched_metrics == pytest.approx(metrics, abs=1e-4)
    for one, many in zip(predictions, batched, strict=True):
        assert one['img_path'] == many['img_path'] and one['text'] == many['text']
        assert torch.equal(one['pred_sem_seg']['data'], many['pred_sem_seg']['data'])
        torch.testing.assert_close(one['pred_prob']['data'], many['pred_prob']['data'],
                                   rtol=0, atol=1e-5)
    bf16_metrics, bf16 = runs['bf16']
    # Against the fp32 run of the same batch size: on a CPU without native bf16
    # the bf16 run falls back to fp32 and must give exactly its values.
    probs = torch.stack([p['pred_prob']['data'] for p in batched])
    bf16_probs = torch.stack([p['pred_prob']['data'] for p in bf16])
    if cpu_supports_bf16():
        assert not torch.equal(probs, bf16_probs)  # autocast changed the values
    else:  # the fp32 fallback: the same values, up to the rounding of a separate run
        torch.testing.assert_close(bf16_probs, probs, rtol=0, atol=1e-5)
    torch.testing.assert_close(bf16_probs, probs, rtol=0, atol=0.05)
    compiled_metrics, compiled = runs['compiled']
    assert compiled_metrics == pytest.approx(metrics, abs=0.05)
    for one, other in zip(predictions, compiled, strict=True):
        prob, other_prob = one['pred_prob']['data'], other['pred_prob']['data']
        torch.testing.assert_close(other_prob, prob, rtol=0, atol=1e-4)
        sure = (prob - 0.35).abs() > 1e-4  # rounding may flip a pixel at the threshold
        assert torch.equal(other['pred_sem_seg']['data'][sure], one['pred_sem_seg']['data'][sure])
