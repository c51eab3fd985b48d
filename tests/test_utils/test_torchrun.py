"""mmris.utils.torchrun: the user error the launcher prints is the one a
rank wrote first (tools/dist_*.sh run it; tests/test_tools/test_dist.py)."""
import os

from mmris.utils.torchrun import first_user_error


def test_the_error_written_first_is_printed_whatever_the_rank(tmp_path):
    assert first_user_error(str(tmp_path)) == ''
    (tmp_path / 'rank0').write_text('error: a consequence\n')
    (tmp_path / 'rank1').write_text('error: image data/b.jpg is missing\n')
    os.utime(tmp_path / 'rank0', ns=(2_000_000_000, 2_000_000_000))
    os.utime(tmp_path / 'rank1', ns=(1_000_000_000, 1_000_000_000))
    assert first_user_error(str(tmp_path)) == 'error: image data/b.jpg is missing\n'
