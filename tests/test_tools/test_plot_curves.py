"""tools/analysis_tools/plot_curves.py: loss, lr and val IoU from scalars.json."""
import json

import cv2


def write_scalars(path):
    path.parent.mkdir(parents=True)
    lines = []
    for step in range(10, 110, 10):
        lines.append(dict(lr=1e-3 if step < 70 else 1e-4, data_time=0.01, loss=1 / step,
                          loss_mask=0.5 / step, time=0.1, iter=step, step=step))
        if step % 50 == 0:
            lines.append({'mIoU': 40.0 + step / 10, 'oIoU': 38.0, 'Prec@0.5': 12.0,
                          'data_time': 0.01, 'time': 0.1, 'step': step})
    path.write_text('\n'.join(json.dumps(line) for line in lines) + '\n')


def test_plots_from_a_work_dir_and_a_file(run_tool, tmp_path):
    scalars = tmp_path / 'work' / '20250101_000000' / 'vis_data' / 'scalars.json'
    write_scalars(scalars)
    out = tmp_path / 'curves.png'
    result = run_tool('analysis_tools/plot_curves.py', tmp_path / 'work', '--out', out)
    assert result.returncode == 0, result.stdout[-3000:]
    assert '10 loss points' in result.stdout and 'mIoU 50.00 at step 100' in result.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape[1] > image.shape[0]

    out2 = tmp_path / 'sub' / 'from_file.png'
    result = run_tool('analysis_tools/plot_curves.py', scalars, '--out', out2)
    assert result.returncode == 0, result.stdout[-3000:]
    assert out2.is_file()


def test_out_must_name_a_png_file(run_tool, tmp_path):
    """matplotlib would write curves.png for --out curves, and a picture
    named after a folder's name beside it; both are refused, nothing written."""
    scalars = tmp_path / 'work' / 'vis_data' / 'scalars.json'
    write_scalars(scalars)
    folder = tmp_path / 'plots'
    folder.mkdir()
    result = run_tool('analysis_tools/plot_curves.py', scalars, '--out', folder)
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line == f"error: --out '{folder}' is a folder; pass a file name"
    no_extension = tmp_path / 'curves'
    result = run_tool('analysis_tools/plot_curves.py', scalars, '--out', no_extension)
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line == (f"error: --out '{no_extension}' does not end in .png; name the "
                                f'PNG file to write, e.g. {no_extension}.png')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['plots', 'work']
    assert not any(folder.iterdir())
    upper = tmp_path / 'CURVES.PNG'
    result = run_tool('analysis_tools/plot_curves.py', scalars, '--out', upper)
    assert result.returncode == 0 and result.last_line == f'wrote {upper}', result.stdout[-3000:]
    assert cv2.imread(str(upper)) is not None


def test_missing_log_is_an_error(tmp_path):
    import importlib.util
    from pathlib import Path

    import pytest

    from mmris.utils import UsageError
    path = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'plot_curves.py'
    spec = importlib.util.spec_from_file_location('plot_curves', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(UsageError, match='no vis_data/scalars.json'):
        module.find_scalars(str(tmp_path))
    with pytest.raises(UsageError, match='neither a scalars.json file nor a work dir'):
        module.find_scalars(str(tmp_path / 'missing'))
