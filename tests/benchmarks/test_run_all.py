"""benchmarks/run_all.py: runs each benchmark in its own process and writes the report from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"

FAKE = '''"""A fake benchmark with a reference."""
def main(quick=False):
    print("fake printed", quick)
    return {"cards": 10 if quick else 100, "trainer": {"answer_ms": 1.0, "fetch_ms": 0.5},
            "anki": {"answer_ms": 4.0, "fetch_ms": 0.25}, "targets": {"answer_ms": "ratio <= 1.0"}}
'''

SCRIPT = '''"""A benchmark written as a plain script."""
import sys
def main():
    print("script mode", sys.argv[1:])
if __name__ == "__main__":
    main()
'''

BROKEN = '''"""A benchmark that fails."""
def main(quick=False):
    raise RuntimeError("boom")
'''


def test_run_all_writes_each_figure_beside_its_reference(tmp_path: Path) -> None:
    (tmp_path / "bench_fake.py").write_text(FAKE)
    (tmp_path / "bench_broken.py").write_text(BROKEN)
    (tmp_path / "bench_script.py").write_text(SCRIPT)
    (tmp_path / "helper.py").write_text("raise SystemExit('not a benchmark')\n")
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, str(RUN_ALL), "--quick", "--folder", str(tmp_path), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    report = output.read_text()
    assert "| platform |" in report and "| CPUs |" in report and "| Python |" in report
    assert "quick (reduced sizes)" in report
    assert "| figure | trainer | anki | trainer / anki | target |" in report
    assert "| answer_ms | 1.000 | 4.000 | 0.25 | ratio <= 1.0 |" in report
    assert "| fetch_ms | 0.500 | 0.250 | 2.00 |  |" in report
    assert "| cards | 10 |" in report
    assert "fake printed True" in report
    assert "## bench_broken: A benchmark that fails." in report
    assert "Status: failed: RuntimeError: boom" in report
    assert "helper" not in report
    assert "## bench_script: A benchmark written as a plain script." in report
    assert "script mode []" in report
