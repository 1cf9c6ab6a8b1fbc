"""Run every benchmark in this folder and write BENCHMARKS.md from the figures of this one run.

Each `bench_*.py` defines `main(quick: bool = False) -> dict`: it prints its own report and
returns its figures (a script without such a `main` is run as `python bench_x.py`, with
`--quick` if it mentions that flag, and only its printed report is kept). In the returned
dict, sibling sub-dicts with the same keys are the trainer and its references from the same
run (the first is the trainer: `{"trainer": {...}, "anki": {...}}`); they are tabulated side
by side with the ratio trainer / reference. An optional `"targets"` dict maps a figure to its
target text. Every other number is listed as is. Each benchmark runs in its own process with
a time limit.

    python benchmarks/run_all.py --quick          # bounded, for CI and a first look
    python benchmarks/run_all.py                  # the full sizes
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import platform
import runpy
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MARKER = "@@BENCHMARK-RESULT@@"


@dataclass
class Outcome:
    """One benchmark's run: its figures (if it finished), what it printed, how long it took."""

    name: str
    title: str
    status: str
    seconds: float
    figures: dict[str, Any] = field(default_factory=dict)
    printed: str = ""


def discover(folder: Path, only: list[str] | None = None) -> list[Path]:
    """The benchmark scripts in `folder`, by name (only those named in `only`, if given)."""
    scripts = sorted(folder.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem in only or s.stem.removeprefix("bench_") in only]
    return scripts


def _title(script: Path) -> str:
    for line in script.read_text(encoding="utf-8").splitlines():
        stripped = line.strip().strip('"').strip()
        if stripped:
            return stripped
    return script.stem


def run_one_in_process(script: Path, quick: bool) -> None:
    """Import `script`, call its `main(quick)`, and print the figures after a marker line."""
    spec = importlib.util.spec_from_file_location(script.stem, script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(script.parent))
    spec.loader.exec_module(module)
    main = getattr(module, "main", None)
    if main is not None and "quick" in inspect.signature(main).parameters:
        figures = main(quick=quick)
    else:
        # Not yet on the convention: run it as a script; its printed report is kept as is.
        sys.argv = [str(script), *(["--quick"] if quick and "--quick" in script.read_text() else [])]
        runpy.run_path(str(script), run_name="__main__")
        figures = None
    result = figures if isinstance(figures, dict) else {} if figures is None else {"result": figures}
    print(MARKER + json.dumps(result, default=str), flush=True)


def run(script: Path, quick: bool, timeout: float) -> Outcome:
    """Run one benchmark in a child process, bounded by `timeout` seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", str(script)]
    if quick:
        command.append("--quick")
    started = time.perf_counter()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        printed = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return Outcome(
            script.stem, _title(script), f"timed out after {timeout:.0f} s", timeout, printed=printed
        )
    seconds = time.perf_counter() - started
    lines = done.stdout.splitlines()
    result = [line for line in lines if line.startswith(MARKER)]
    printed = "\n".join(line for line in lines if not line.startswith(MARKER))
    if done.returncode != 0 or not result:
        tail = done.stderr.strip().splitlines()[-1:] or ["no result"]
        return Outcome(script.stem, _title(script), f"failed: {tail[0]}", seconds, printed=printed)
    figures = json.loads(result[-1][len(MARKER) :])
    return Outcome(script.stem, _title(script), "ok", seconds, figures, printed)


def machine() -> dict[str, str]:
    """What this run ran on."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "CPUs": str(os.cpu_count()),
        "Python": platform.python_version(),
        "date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": commit or "unknown",
    }


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"


def comparison_table(figures: dict[str, Any]) -> list[str]:
    """The trainer beside each reference with the ratio, for sibling dicts sharing keys."""
    groups = [
        (name, value) for name, value in figures.items() if isinstance(value, dict) and name != "targets"
    ]
    if len(groups) < 2:
        return []
    (ours_name, ours), references = groups[0], groups[1:]
    targets = figures.get("targets", {})
    header = ["figure", ours_name]
    for name, _ in references:
        header += [name, f"{ours_name} / {name}"]
    if targets:
        header.append("target")
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, value in ours.items():
        cells = [key, _number(value)]
        for _, reference in references:
            other = reference.get(key)
            ratio = (
                value / other
                if isinstance(value, int | float) and isinstance(other, int | float) and other
                else None
            )
            cells += [
                _number(other) if other is not None else "",
                f"{ratio:.2f}" if ratio is not None else "",
            ]
        if targets:
            cells.append(str(targets.get(key, "")))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def scalar_table(figures: dict[str, Any], prefix: str = "") -> list[str]:
    """Every other figure, as `name | value` rows."""
    rows = []
    groups = [name for name, value in figures.items() if isinstance(value, dict) and name != "targets"]
    compared = set(groups) if len(groups) >= 2 else set()
    for name, value in figures.items():
        if name in compared or name == "targets":
            continue
        if isinstance(value, dict):
            rows += scalar_table(value, prefix=f"{prefix}{name}.")
        elif not isinstance(value, list):
            rows.append(f"| {prefix}{name} | {_number(value)} |")
    return rows


def render(outcomes: list[Outcome], quick: bool, about: dict[str, str]) -> str:
    """BENCHMARKS.md for this run."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python benchmarks/run_all.py{' --quick' if quick else ''}`; every figure below comes "
        "from that one run. Regenerate it rather than editing it.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in about.items()),
        f"| mode | {'quick (reduced sizes)' if quick else 'full'} |",
        "",
    ]
    for outcome in outcomes:
        lines += [
            f"## {outcome.name}: {outcome.title}",
            "",
            f"Status: {outcome.status}, {outcome.seconds:.1f} s.",
            "",
        ]
        compared = comparison_table(outcome.figures)
        if compared:
            lines += [*compared, ""]
        scalars = scalar_table(outcome.figures)
        if scalars:
            lines += ["| figure | value |", "|---|---|", *scalars, ""]
        if outcome.printed.strip():
            lines += ["As printed:", "", "```", outcome.printed.strip(), "```", ""]
    if not outcomes:
        lines += ["No benchmark scripts were found.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the report; returns the exit status (1 if any failed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes, bounded time")
    parser.add_argument("--only", nargs="*", help="benchmark names to run (default: all)")
    parser.add_argument("--output", type=Path, default=HERE.parent / "BENCHMARKS.md")
    parser.add_argument("--folder", type=Path, default=HERE, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=None, help="seconds per benchmark")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        run_one_in_process(args.one, args.quick)
        return 0
    timeout = args.timeout or (300.0 if args.quick else 3600.0)
    outcomes = []
    for script in discover(args.folder, args.only):
        print(f"running {script.stem} ...", file=sys.stderr, flush=True)
        outcome = run(script, args.quick, timeout)
        print(f"  {outcome.status} in {outcome.seconds:.1f} s", file=sys.stderr, flush=True)
        outcomes.append(outcome)
    args.output.write_text(render(outcomes, args.quick, machine()), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0 if all(o.status == "ok" for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
