"""The servers' environment defaults (``wyoming_servers/__init__.py``) take effect.

They only work if they are set before numpy (OpenBLAS) loads, so each check
runs in a fresh interpreter that imports the package the way the console
scripts do, then asks numpy's own OpenBLAS how many threads it runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# numpy's wheels bundle OpenBLAS as numpy.libs/libscipy_openblas64_*.so
# (x86_64 and aarch64 alike); its thread count is read through ctypes.
_PROBE = """
import ctypes, pathlib, sys
import wyoming_servers.asr.transcriber  # imports numpy and faster-whisper, as the server does
import numpy
libs = sorted((pathlib.Path(numpy.__file__).parent.parent / "numpy.libs").glob("libscipy_openblas*"))
if not libs:
    sys.exit(3)
blas = ctypes.CDLL(str(libs[0]))
print(blas.scipy_openblas_get_num_threads64_())
"""


def _blas_threads(extra_env: dict[str, str]) -> int:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(extra_env, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode == 3:
        pytest.skip("this numpy does not bundle scipy-openblas")
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS runs one thread on one core anyway")
def test_openblas_runs_one_thread_in_the_servers() -> None:
    """OpenBLAS's spinning threads slowed concurrent decodes by a third (see the module)."""
    assert _blas_threads({}) == 1


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores to tell the values apart")
def test_a_thread_count_the_user_set_is_kept() -> None:
    assert _blas_threads({"OPENBLAS_NUM_THREADS": "2"}) == 2
