"""Config loading for the tools: --cfg-options keys are checked."""
import pytest

from mmris.utils import UsageError, load_config


def test_existing_keys_list_indices_and_new_top_level_keys_merge(demo_config):
    cfg = load_config(demo_config, {
        'train_cfg.max_iters': 7,
        'param_scheduler.0.end': 7,
        'sync_bn': 'torch',
    })
    assert cfg.train_cfg.max_iters == 7
    assert cfg.param_scheduler[0]['end'] == 7
    assert cfg.sync_bn == 'torch'


def test_misspelt_nested_key_is_refused_with_the_closest_name(demo_config):
    with pytest.raises(UsageError, match=r"'train_cfg' has no 'max_iter'; did you mean 'max_iters'"):
        load_config(demo_config, {'train_cfg.max_iter': 7})


def test_list_index_out_of_range_is_refused(demo_config):
    with pytest.raises(UsageError, match='index from 0 to 0'):
        load_config(demo_config, {'param_scheduler.3.end': 7})


def test_field_of_a_plain_value_is_refused(demo_config):
    with pytest.raises(UsageError, match="'train_cfg.max_iters' is the value 1500"):
        load_config(demo_config, {'train_cfg.max_iters.x': 7})


def test_missing_config_names_the_path():
    with pytest.raises(UsageError, match="config file 'nope.py' does not exist"):
        load_config('nope.py')


def test_broken_config_names_the_file(tmp_path):
    broken = tmp_path / 'broken.py'
    broken.write_text('model = dict(\n')
    with pytest.raises(UsageError, match='broken.py.*could not be read'):
        load_config(str(broken))
