"""Run a task's tests: copy them fresh beside the repository, then pytest them with the repository importable.

Usage: python testrun.py TASK_TESTS_DIR SCRATCH_TESTS_DIR REPO. Aider's --test-cmd calls this too, so the model sees
the failures but the tests never enter the repository (the benchmark re-copies its tests before each run the same way).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def main(task_tests: str, scratch_tests: str, repo: str) -> int:
    shutil.rmtree(scratch_tests, ignore_errors=True)
    shutil.copytree(task_tests, scratch_tests)
    environment = {**os.environ, "PYTHONPATH": repo, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", scratch_tests, scratch_tests]
    return subprocess.run(command, cwd=repo, env=environment, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
