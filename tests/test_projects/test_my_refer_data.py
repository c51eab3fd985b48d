"""projects/my_refer_data, as its README runs it: the configs copied to a
folder outside the repository, the example data written there, then
tools/train.py and tools/test.py."""
import json
import math
import shutil
import subprocess
from pathlib import Path

from mmengine.config import Config
from mmris_fixtures.warm_python import warm_python_executable

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / 'projects' / 'my_refer_data'
CHECK_CONFIG = 'etris_vitb_my_refer_data_cpu_check.py'


def test_trains_and_tests_from_outside_the_repository(tmp_path, run_tool):
    for config in (PROJECT / 'configs').glob('*.py'):
        shutil.copy(config, tmp_path)
    subprocess.run([warm_python_executable(), str(PROJECT / 'make_example_data.py'),
                    '--out', 'data/my_refer_data', '--num-images', '8'],
                   cwd=tmp_path, check=True, capture_output=True, timeout=300)
    data = tmp_path / 'data' / 'my_refer_data'
    train_objects = len(json.loads((data / 'train.json').read_text())['data_list'])
    val_expressions = sum(len(item['expressions']) for item in
                          json.loads((data / 'val.json').read_text())['data_list'])

    result = run_tool('train.py', CHECK_CONFIG, '--work-dir', 'work', '--cfg-options',
                      'train_cfg.max_epochs=1', 'train_cfg.val_interval=1', cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    iterations = math.ceil(train_objects / 8)
    assert f'Epoch(train) [1][{iterations}/{iterations}]' in result.stdout

    # What tools/train.py loaded: this project's data and tiny model on the
    # optimizer and schedule of mmris' vitb_refcoco.py, found through mmris::.
    loaded = Config.fromfile(str(tmp_path / 'work' / CHECK_CONFIG))
    mmris_config = Config.fromfile(str(REPO / 'configs' / 'etris' / 'vitb_refcoco.py'))
    assert loaded.train_dataloader.dataset.type == 'RISCustomDataset'
    assert loaded.train_dataloader.dataset.data_root == 'data/my_refer_data/'
    assert loaded.model.backbone.vision_encoder.width == 32
    assert loaded.optim_wrapper.optimizer == mmris_config.optim_wrapper.optimizer
    assert loaded.param_scheduler[0].milestones == mmris_config.param_scheduler[0].milestones

    result = run_tool('test.py', CHECK_CONFIG, 'work/epoch_1.pth', '--work-dir', 'work',
                      cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f'RIS results over {val_expressions} samples' in result.stdout
