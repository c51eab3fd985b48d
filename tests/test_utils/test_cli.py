"""Config loading for the tools: --cfg-options keys are checked; user
errors end in one line."""
import pytest
from mmengine.config import Config

from mmris.utils import DatasetError, UsageError, load_config, require_at_least, require_config_keys, run_cli
from mmris.utils.cli import RANK_ERRORS_VARIABLE, one_line

CONFIG = 'configs/etris/vitb_refcoco.py'


def test_existing_keys_list_indices_and_keys_added_on_purpose_merge():
    cfg = load_config(CONFIG, {
        'train_cfg.max_epochs': 7,
        'param_scheduler.0.end': 7,
        'sync_bn': 'torch',
        '+randomness.seed': 3,
        '+train_dataloader.dataset.indices': 4,
    })
    assert cfg.train_cfg.max_epochs == 7
    assert cfg.param_scheduler[0]['end'] == 7
    assert cfg.sync_bn == 'torch'
    assert cfg.randomness.seed == 3
    assert cfg.train_dataloader.dataset.indices == 4


def test_misspelt_nested_key_is_refused_with_the_closest_name():
    with pytest.raises(UsageError, match=r"'train_cfg' has no 'max_epoch'; did you mean "
                                         r"'max_epochs'"):
        load_config(CONFIG, {'train_cfg.max_epoch': 7})


def test_misspelt_top_level_key_is_refused_with_the_closest_name():
    with pytest.raises(UsageError, match=r"the config has no 'trian_cfg'; did you mean "
                                         r"'train_cfg'.*write \+trian_cfg.max_iters=\.\.\. to add"):
        load_config(CONFIG, {'trian_cfg.max_iters': 20})


def test_list_index_out_of_range_is_refused():
    with pytest.raises(UsageError, match='index from 0 to 0'):
        load_config(CONFIG, {'param_scheduler.3.end': 7})


def test_field_of_a_plain_value_is_refused():
    with pytest.raises(UsageError, match="'train_cfg.max_epochs' is the value 50"):
        load_config(CONFIG, {'train_cfg.max_epochs.x': 7})


def test_missing_config_names_the_path():
    with pytest.raises(UsageError, match="config file 'nope.py' does not exist"):
        load_config('nope.py')


def test_broken_config_names_the_file(tmp_path):
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(\n')
    with pytest.raises(UsageError, match='broken.py.*could not be read'):
        load_config(str(broken))


def test_run_cli_prints_one_line_and_exits_2(capsys, monkeypatch):
    def main():
        raise DatasetError('data/x.json is not a JSON file\n(line 3)')

    monkeypatch.delenv('MMRIS_DEBUG', raising=False)
    with pytest.raises(SystemExit) as exit_:
        run_cli(main)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == 'error: data/x.json is not a JSON file (line 3)\n'
    monkeypatch.setenv('MMRIS_DEBUG', '1')  # the developer's escape hatch
    with pytest.raises(DatasetError):
        run_cli(main)


def test_bugs_keep_their_traceback():
    def main():
        raise KeyError('a bug')

    with pytest.raises(KeyError):
        run_cli(main)


def test_under_the_launcher_each_rank_leaves_its_error_in_the_folder(capsys, monkeypatch,
                                                                   tmp_path):
    monkeypatch.delenv('MMRIS_DEBUG', raising=False)
    monkeypatch.setenv(RANK_ERRORS_VARIABLE, str(tmp_path))
    monkeypatch.setenv('RANK', '1')

    def main():
        raise DatasetError('image data/b.jpg\nis missing')

    with pytest.raises(SystemExit) as exit_:
        run_cli(main)
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ''  # the launcher prints it
    assert [p.name for p in tmp_path.iterdir()] == ['rank1']
    assert (tmp_path / 'rank1').read_text() == 'error: image data/b.jpg is missing\n'


def test_a_rank_failing_after_another_ranks_user_error_exits_2_quietly(monkeypatch, tmp_path):
    def main():
        raise RuntimeError('Connection closed by peer')

    monkeypatch.setenv(RANK_ERRORS_VARIABLE, str(tmp_path))
    with pytest.raises(RuntimeError):  # no user error yet: a bug
        run_cli(main)
    (tmp_path / 'rank1').write_text('error: image data/b.jpg is missing\n')
    with pytest.raises(SystemExit) as exit_:
        run_cli(main)
    assert exit_.value.code == 2


def test_error_from_a_data_loader_worker_keeps_its_own_message():
    # What torch raises in the main process for an error in a worker.
    error = DatasetError('Caught DatasetError in DataLoader worker process 0.\nOriginal '
                         'Traceback (most recent call last):\n  File "x.py", line 1, in f\n'
                         'mmris.utils.errors.DatasetError: ref 3: annotation id 9 is missing\n')
    assert one_line(error) == 'ref 3: annotation id 9 is missing'


def test_output_paths_are_checked_before_any_work(tmp_path):
    from mmris.utils import require_writable_dir, require_writable_file
    require_writable_dir(str(tmp_path / 'new' / 'work'), '--work-dir')
    assert (tmp_path / 'new' / 'work').is_dir()
    require_writable_file(str(tmp_path / 'out' / 'results.pkl'), '--out')
    assert (tmp_path / 'out').is_dir()
    (tmp_path / 'a_file').write_text('')
    with pytest.raises(UsageError, match=r"--work-dir '.*a_file/work' cannot be a folder: "
                                         r"'.*a_file' is a file"):
        require_writable_dir(str(tmp_path / 'a_file' / 'work'), '--work-dir')
    with pytest.raises(UsageError, match=r"--out '.*a_file/x/r.pkl' cannot be written: "
                                         r"'.*a_file' is a file, not a folder"):
        require_writable_file(str(tmp_path / 'a_file' / 'x' / 'r.pkl'), '--out')
    with pytest.raises(UsageError, match=r"--out-file '.*out' is a folder; pass a file name"):
        require_writable_file(str(tmp_path / 'out'), '--out-file')


@pytest.mark.parametrize('tool', ['make_synthetic_refcoco', 'make_synthetic_coco',
                                  'make_synthetic_shapes'])
def test_synthetic_set_writers_check_out_and_seed_first(run_tool, tmp_path, tool):
    """check_synthetic_set_options, as each writer runs it: one line, and
    nothing written."""
    script = f'dataset_converters/{tool}.py'
    a_file = tmp_path / 'a_file'
    a_file.write_text('kept')
    result = run_tool(script, '--out', a_file)
    assert result.returncode == 2, result.stdout[-2000:]
    assert result.last_line == (f"error: --out '{a_file}' cannot be a folder: '{a_file}' is a "
                                f'file; pick a folder you can write to')
    assert a_file.read_text() == 'kept'
    result = run_tool(script, '--out', tmp_path / 'new', '--seed', -1)
    assert result.returncode == 2, result.stdout[-2000:]
    assert result.last_line == 'error: --seed must be at least 0, got -1'
    assert not (tmp_path / 'new').exists()


def test_a_config_without_a_key_a_tool_needs_is_named():
    from mmengine.config import Config
    cfg = Config(dict(train_dataloader=dict(), test_dataloader=None))
    require_config_keys(cfg, 'a.py', ('train_dataloader', ))
    with pytest.raises(UsageError, match="config 'a.py' has no test_dataloader; this tool needs "
                                         "train_dataloader, test_dataloader"):
        require_config_keys(cfg, 'a.py', ('train_dataloader', 'test_dataloader'))


def test_an_option_below_its_bound_is_named_with_the_bound_and_the_value():
    require_at_least('--num-images', 4, 4)
    with pytest.raises(UsageError, match=r'^--size must be at least 32, got 31$'):
        require_at_least('--size', 31, 32)
    with pytest.raises(UsageError, match=r'^--num-images must be at least 4 \(one image per '
                                         r'split\), got 3$'):
        require_at_least('--num-images', 3, 4, ' (one image per split)')


def test_print_split_counts_right_aligns_each_column_under_its_name(capsys):
    from mmris.utils import print_split_counts
    print_split_counts({'train': {'images': 5, 'sentences': 30}, 'val': {'images': 1,
                                                                      'sentences': 7}},
                       ('images', 'sentences'))
    assert capsys.readouterr().out.splitlines() == [
        '',
        'split     images  sentences',
        'train          5         30',
        'val            1          7',
    ]


def test_an_argument_a_component_does_not_take_is_a_usage_error():
    from mmris.registry import MODELS
    from mmris.utils import config_arguments_checked
    encoder = dict(type='CLIPVisionTransformer', input_size=32, patch_size=8, width=32,
                   layers=3, heads=2, output_dim=32, channels_last=True)
    cfg = Config(dict(model=dict(type='ETRIS', backbone=dict(vision_encoder=encoder))))
    with pytest.raises(UsageError, match=r"CLIPVisionTransformer takes no argument "
                       r"'channels_last', which the config gives it "
                       r"\(model\.backbone\.vision_encoder\.channels_last\)"):
        with config_arguments_checked(cfg):
            MODELS.build(encoder)
    # A TypeError about something the config does not hold stays a bug.
    with pytest.raises(TypeError, match='unexpected keyword argument'):
        with config_arguments_checked(Config(dict(model=dict()))):
            MODELS.build(encoder)


def test_a_type_no_registry_holds_is_named_with_its_key_and_close_names():
    from mmris.registry import MODELS, TRANSFORMS
    from mmris.utils import config_arguments_checked
    cfg = Config(dict(model=dict(type='ETRIS', neck=dict(type='CascadedNeck')),
                      test_pipeline=[dict(type='LoadImageFromFile'),
                                     dict(type='RISLetterBox', size=64)]))
    with pytest.raises(UsageError, match=r"type 'CascadedNeck' \(model.neck.type\) is not in "
                       r"the mmris::model registry \(close names: CascadedAlignmentNeck"):
        with config_arguments_checked(cfg):
            MODELS.build(cfg.model.neck)
    with pytest.raises(UsageError, match=r"'RISLetterBox' \(test_pipeline.1.type\) is not in "
                       r"the mmris::transform registry \(close names: RISLetterbox\)"):
        with config_arguments_checked(cfg):
            TRANSFORMS.build(cfg.test_pipeline[1])
    # A type the config does not name stays a bug.
    with pytest.raises(KeyError, match='is not in the mmris::model registry'):
        with config_arguments_checked(cfg):
            MODELS.build(dict(type='NoSuchHead'))


def test_an_onnx_file_given_as_a_checkpoint_points_to_onnx_runtime(tmp_path):
    from mmris.utils import require_checkpoint
    exported = tmp_path / 'iter_2000.onnx'
    exported.write_bytes(b'onnx')
    with pytest.raises(UsageError, match=r"--weights '.*iter_2000.onnx' is an exported ONNX "
                       r"network, not a PyTorch checkpoint; run it with ONNX Runtime"):
        require_checkpoint(str(exported), '--weights')
