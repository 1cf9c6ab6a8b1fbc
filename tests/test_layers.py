"""The import rules of ARCHITECTURE.md, checked by import-linter from the contracts in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_layer_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_no_core_module_outgrows_a_reading() -> None:
    """Modules stay small enough to read at once; the `Collection` facade is the one exception."""
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "trainer").rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "collection.py"
        and (lines := len(path.read_text().splitlines())) > 420
    }
    assert not too_long, f"split these modules (over 420 lines): {too_long}"
