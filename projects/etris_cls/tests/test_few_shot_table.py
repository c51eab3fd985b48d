"""projects/etris_cls/tools/few_shot_table.py on the tiny demo, one iteration a row."""
import json


def test_table_rows_share_the_frozen_towers(run_tool, cls_demo_config, cls_demo_options,
                                            tmp_path):
    result = run_tool('projects/etris_cls/tools/few_shot_table.py', cls_demo_config,
                      '--shots', 1, '--also-frozen', '--work-dir', tmp_path,
                      '--cfg-options', *cls_demo_options(max_iters=1))
    assert result.returncode == 0, result.stdout[-3000:]
    rows = json.loads((tmp_path / 'few_shot_table.json').read_text())['rows']
    assert [(row['model'], row['shots']) for row in rows] == [
        ('zero-shot, no Bridger', 0), ('Bridger', 1),
        ('no Bridger (pos. emb. + logit scale train)', 1)]
    for row in rows:
        assert 0 <= row['accuracy/top1'] <= row['accuracy/top5'] <= 100
    assert result.stdout.rstrip().endswith(
        (tmp_path / 'few_shot_table.md').read_text().rstrip())
