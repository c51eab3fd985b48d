"""tools/misc/browse_dataset.py: samples after the pipeline, drawn and saved."""
import cv2

DEMO = 'configs/demo/etris_tiny_synthetic_refcoco.py'  # letterboxes to 128 x 128


def options(root):
    return ['--cfg-options', f'train_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}']


def test_browse_test_split(refcoco_root, run_tool, tmp_path):
    out = tmp_path / 'browse'
    result = run_tool('misc/browse_dataset.py', DEMO, '--split', 'test', '--output-dir', out,
                      '--max-samples', 3, '--not-show', *options(refcoco_root))
    assert result.returncode == 0, result.stdout[-3000:]
    assert 'drew 3 of' in result.last_line
    pictures = sorted(out.glob('*.png'))
    assert [p.name.split('_')[3] for p in pictures] == ['000000', '000001', '000002']
    for picture in pictures:
        image = cv2.imread(str(picture))
        # The 128 x 128 letterboxed input, enlarged to 256, GT only, with a caption band.
        assert image.shape[1] == 256 and image.shape[0] > 256
        # The warped mask is tinted cyan (BGR 255, 255, 0 mixed with the image).
        cyan = (image[:256, :, 0] > 150) & (image[:256, :, 1] > 150) & (image[:256, :, 2] < 120)
        assert cyan.sum() > 100


def test_browse_train_split_and_bad_options(refcoco_root, run_tool, tmp_path):
    out = tmp_path / 'browse'
    # README's command, without a display: --output-dir alone writes the
    # pictures and opens no window (a window would wait for a key: a hang).
    no_display = dict(DISPLAY='', WAYLAND_DISPLAY='')
    result = run_tool('misc/browse_dataset.py', DEMO, '--output-dir', out, '--max-samples', 2,
                      *options(refcoco_root), env=no_display, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(list(out.glob('*.png'))) == 2
    result = run_tool('misc/browse_dataset.py', DEMO, '--max-samples', 2,
                      *options(refcoco_root), env=no_display, timeout=300)
    assert result.returncode == 2 and '--output-dir' in result.last_line
    assert result.last_line.startswith('error: no display')
    result = run_tool('misc/browse_dataset.py', DEMO, '--max-samples', 0, '--not-show')
    assert result.returncode == 2 and 'max-samples' in result.last_line


def test_an_output_dir_that_is_a_file_is_refused_before_the_data_is_read(run_tool, tmp_path):
    a_file = tmp_path / 'a_file'
    a_file.write_text('kept')
    # The data root does not exist: reading the data would be another error.
    result = run_tool('misc/browse_dataset.py', DEMO, '--output-dir', a_file,
                      *options(tmp_path / 'no_data'))
    assert result.returncode == 2, result.stdout[-3000:]
    assert result.last_line == (f"error: --output-dir '{a_file}' cannot be a folder: "
                                f"'{a_file}' is a file; pick a folder you can write to")
    assert a_file.read_text() == 'kept'
