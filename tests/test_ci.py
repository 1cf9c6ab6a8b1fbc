"""CI runs exactly the test command the README gives, and that command shuffles and measures."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("**Run the tests**") :]
    command = re.search(r"```sh\n(.+?)\n```", section, re.S)
    assert command is not None
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command.group(1) in ci
    assert "coverage run -m pytest" in command.group(1) and "coverage report" in command.group(1)


def test_the_suite_shuffles_measures_branches_and_subprocesses_and_runs_slow_tests() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    tests = " ".join(project["project"]["optional-dependencies"]["test"])
    assert "pytest-randomly" in tests and "coverage" in tests
    run = project["tool"]["coverage"]["run"]
    assert run["branch"] and "subprocess" in run["patch"]
    assert "slow" not in project["tool"]["pytest"]["ini_options"]["addopts"]
