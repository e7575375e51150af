"""`make test-portable` really forces every library's instruction set down."""
import platform

import pytest

from tools.portable_env import LEVELS, _cpu_has_avx2, expected, probe

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                                reason="the portable switches are x86-64 ones")


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_switch_takes_the_path_of_its_level(level):
    if level == "avx2" and not _cpu_has_avx2():
        pytest.skip("this CPU has no AVX2")
    assert probe(LEVELS[level]) == expected(level)
