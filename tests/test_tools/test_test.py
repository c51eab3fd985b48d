"""tools/test.py: metrics, --out, --show-dir, and refused input."""
import pickle
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
