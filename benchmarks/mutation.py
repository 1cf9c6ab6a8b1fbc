"""Mutation testing of the modules that hold the rules, with mutmut; writes MUTATION.md.

The modules and the test selection are in pyproject.toml ([tool.mutmut]). mutmut copies the code
to mutants/, runs the selected tests once to learn which tests reach which function, then runs,
for each mutant, only those tests (in forked workers). A mutant is killed when a test fails.

    pip install -e '.[test,mutation]'
    nice python benchmarks/mutation.py              # run (about 30 minutes on 2 cores), then report
    python benchmarks/mutation.py --report-only     # rewrite MUTATION.md from the last run

Surviving mutants that cannot change behaviour are listed in EQUIVALENT below with the reason;
the score of a module counts killed mutants among the others.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [sys.executable, "-m", "mutmut"]
TARGET = 0.85


# Survivors that no test can kill, by mutant name, and why.
EQUIVALENT: dict[str, str] = {
    "trainer.study.rubric.x_suggested_rating__mutmut_9": (
        "equivalent: `suggest` never reads the red-flag count in `sizes` (only the flags raised count),"
        " and `suggested_rating` raises none"
    ),
    "trainer.accounts.throttle.x_blocked_until__mutmut_33": (
        "equivalent: when two keys' blocks end at the same moment, keeping either gives the same time"
    ),
    "trainer.study.scheduling.xǁSeededSchedulerǁ_get_fuzzed_interval__mutmut_2": (
        "equivalent: `days` is a whole number, so `days <= 2.5` and `days < 2.5` agree (both mean at most 2)"
    ),
    **{
        f"trainer.insights.forecast.x_retrievability__mutmut_{n}": (
            "equivalent: without the float dtype the arrays stay integer, but the next step multiplies by"
            " the float `factor`, so every value is computed in float64 all the same"
        )
        for n in (13, 15, 23, 25)
    },
    "trainer.insights.forecast.x_next_difficulty__mutmut_25": (
        "equivalent: for a difficulty in [1, 10] and parameters inside fsrs's bounds (w4 <= 10,"
        " w5 > 0, w6 <= 4, w7 < 1), the damped difficulty is at most D + (10 - D) * 8/9 <= 10 and the"
        " easy initial difficulty is below w4, so their mean never exceeds 10 and the upper clip never acts"
    ),
}

# Mutants of code that runs only on PostgreSQL: the mutation run uses SQLite (its two workers
# cannot share one PostgreSQL database), so these are listed apart, neither killed nor equivalent.
POSTGRESQL_ONLY = (
    "trainer.accounts.throttle.x__lock__",
    "trainer.accounts.throttle.x_begin_attempt__mutmut_2",
)

# mutmut mutates function bodies only, so the module-level constants that state rules are
# changed here one at a time, in a copy of the tree: (module, constant as written, changed, tests).
CONSTANTS: list[tuple[str, str, str, list[str]]] = [
    (
        "trainer/study/rubric.py",
        "(0.75, Rating.Hard)",
        "(0.7, Rating.Hard)",
        ["tests/study/test_rubric_table.py"],
    ),
    (
        "trainer/study/rubric.py",
        "(0.5, Rating.Again)",
        "(0.4, Rating.Again)",
        ["tests/study/test_rubric_table.py"],
    ),
    (
        "trainer/study/rubric.py",
        "OPTIONAL_SHARE_FOR_EASY = 0.5",
        "OPTIONAL_SHARE_FOR_EASY = 0.6",
        ["tests/study/test_rubric_table.py"],
    ),
    (
        "trainer/study/rubric.py",
        "OVERTIME_FACTOR = 1.5",
        "OVERTIME_FACTOR = 1.6",
        ["tests/study/test_rubric_table.py"],
    ),
    (
        "trainer/study/rubric.py",
        "ONE_FLAG_CAP = Rating.Hard",
        "ONE_FLAG_CAP = Rating.Good",
        ["tests/study/test_rubric_table.py"],
    ),
    (
        "trainer/study/queue.py",
        "LEARN_AHEAD = timedelta(minutes=20)",
        "LEARN_AHEAD = timedelta(minutes=25)",
        ["tests/study/test_study.py"],
    ),
    (
        "trainer/insights/forecast.py",
        "MAX_DIFFICULTY = 10.0",
        "MAX_DIFFICULTY = 9.0",
        ["tests/insights/test_forecast_oracle.py"],
    ),
    (
        "trainer/insights/forecast.py",
        "STABILITY_MIN = 0.001",
        "STABILITY_MIN = 0.01",
        ["tests/insights/test_forecast_oracle.py"],
    ),
    (
        "trainer/accounts/throttle.py",
        "max_failures: int = 5",
        "max_failures: int = 6",
        ["tests/accounts/test_accounts.py"],
    ),
    (
        "trainer/accounts/throttle.py",
        "timedelta(minutes=15)",
        "timedelta(minutes=14)",
        ["tests/accounts/test_accounts.py"],
    ),
    (
        "trainer/accounts/throttle.py",
        "KEY_LENGTH = 128",
        "KEY_LENGTH = 64",
        ["tests/accounts/test_throttle.py"],
    ),
    ("trainer/storage/backup.py", '"learners", "cards"', '"cards"', ["tests/storage/test_backup.py"]),
    ("trainer/storage/backup.py", "DEFAULT_KEEP = 10", "DEFAULT_KEEP = 11", ["tests/storage/test_backup.py"]),
    (
        "trainer/insights/weakness.py",
        "GAP_MARGIN = 0.15",
        "GAP_MARGIN = 0.05",
        ["tests/insights/test_stats_gaps.py"],
    ),
    (
        "trainer/settings.py",
        "desired_retention: float = 0.9",
        "desired_retention: float = 0.85",
        ["tests/test_settings.py", "tests/study/test_scheduling.py"],
    ),
    (
        "trainer/settings.py",
        'LEECH_ACTIONS = ("tag", "suspend")',
        'LEECH_ACTIONS = ("tag", "suspend", "delete")',
        ["tests/test_settings.py"],
    ),
]


@dataclass
class Module:
    path: str
    counts: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    late_kills: list[str] = field(default_factory=list)

    @property
    def equivalent(self) -> int:
        return sum(1 for name in self.survivors if name in EQUIVALENT)

    def score(self) -> float | None:
        """Killed among the mutants that were run, less the equivalent ones (None if none ran)."""
        counted = self.counts["killed"] + len(self.survivors) - self.equivalent
        return self.counts["killed"] / counted if counted else None


def configured_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return list(config["only_mutate"])


def results(modules: list[str]) -> dict[str, Module]:
    """Each module's mutant outcomes, from the .meta files mutmut leaves beside the mutants."""
    from mutmut.stats import status_by_exit_code

    out = {path: Module(path) for path in modules}
    for path, module in out.items():
        meta = ROOT / "mutants" / (path + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in sorted(codes.items()):
            status = status_by_exit_code[code]
            if status == "survived" and name.startswith(POSTGRESQL_ONLY):
                status = "PostgreSQL only"
            if status == "timeout":
                status = "killed"  # a mutant that makes the tests hang is caught, if slowly
            module.counts[status] += 1
            if status == "survived":
                module.survivors.append(name)
    return out


def constant_mutants() -> list[tuple[str, str, str, bool]]:
    """Each CONSTANTS change run against its tests in a copy of the tree: (module, old, new, killed)."""
    import shutil
    import tempfile

    out = []
    for module, old, new, tests in CONSTANTS:
        with tempfile.TemporaryDirectory(prefix="mutation-") as folder:
            copy = Path(folder)
            for part in ("trainer", "tests", "web", "exporters", "decks", "pyproject.toml"):
                source = ROOT / part
                if source.is_dir():
                    shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(source, copy / part)
            target = copy / module
            text = target.read_text()
            if text.count(old) != 1:
                raise SystemExit(f"{module}: {old!r} is not written exactly once")
            target.write_text(text.replace(old, new))
            # `python -m pytest` puts the copy first on sys.path, before the installed tree.
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
            ]
            run = subprocess.run([*command, "-k", "not postgresql", *tests], cwd=copy, capture_output=True)
            out.append((module, old, new, run.returncode == 1))
            print(f"{module}: {old} -> {new}: {'killed' if run.returncode == 1 else 'survived'}", flush=True)
    return out


def recheck(modules: dict[str, Module]) -> dict[str, bool]:
    """Run each survivor again (not the equivalent or PostgreSQL-only ones) against the tests as
    they are now, through mutmut's own switch (MUTANT_UNDER_TEST), on the test files that reached
    its function: a test added after the run kills it or not. Saved beside the mutants."""
    import shutil

    stats = json.loads((ROOT / "mutants" / "mutmut-stats.json").read_text())["tests_by_mangled_function_name"]
    shutil.copytree(ROOT / "tests", ROOT / "mutants" / "tests", dirs_exist_ok=True)
    saved = ROOT / "mutants" / "rechecked.json"
    out: dict[str, bool] = json.loads(saved.read_text()) if saved.exists() else {}
    for module in modules.values():
        for name in module.survivors:
            if name in EQUIVALENT or name in out:
                continue
            function = name.rpartition("__mutmut_")[0]
            files = sorted({test.split("::")[0] for test in stats.get(function, [])})
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
            ]
            env = {**os.environ, "MUTANT_UNDER_TEST": name, "TRAINER_ORACLE_EXAMPLES": "25"}
            run = subprocess.run(
                [*command, "-k", "not postgresql", *files], cwd=ROOT / "mutants", env=env, capture_output=True
            )
            out[name] = run.returncode == 1
            print(f"{name}: {'killed' if out[name] else 'survived'} on recheck", flush=True)
            saved.write_text(json.dumps(out))
    return out


def diff(name: str) -> str:
    shown = subprocess.run([*MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True).stdout
    lines = [line for line in shown.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n".join(lines)


def report(
    modules: dict[str, Module], seconds: float | None, constants: list[tuple[str, str, str, bool]]
) -> str:
    lines = [
        "# Mutation testing",
        "",
        "`python benchmarks/mutation.py` runs [mutmut](https://github.com/boxed/mutmut) over the modules",
        "that hold the rules, with the test selection in `pyproject.toml` (`[tool.mutmut]`), and writes",
        "this file. Score = killed / (mutants with tests - equivalent survivors); target"
        f" {TARGET:.0%} per module.",
    ]
    if seconds is not None:
        lines += ["", f"Last run: {seconds / 60:.1f} minutes with 2 workers."]
    lines += [
        "",
        "| module | mutants | killed | survived | equivalent | no tests | PostgreSQL only | not run"
        " | score |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for module in modules.values():
        score = module.score()
        total = sum(module.counts.values())
        shown = "not run" if score is None else f"{score:.1%}"
        lines.append(
            f"| `{module.path}` | {total} | {module.counts['killed']} | {len(module.survivors)} |"
            f" {module.equivalent} | {module.counts['no tests']} | {module.counts['PostgreSQL only']} |"
            f" {module.counts['not checked']} | {shown} |"
        )
    lines += [
        "",
        "## Constants",
        "",
        "mutmut changes function bodies only; the constants that state rules are changed one at a time",
        "(`CONSTANTS` in the script) and their tests run against each change.",
        "",
        "| module | change | outcome |",
        "| --- | --- | --- |",
    ]
    for module, old, new, killed in constants:
        lines.append(f"| `{module}` | `{old}` → `{new}` | {'killed' if killed else 'SURVIVED'} |")
    late = [name for module in modules.values() for name in module.late_kills]
    if late:
        lines += [
            "",
            "## Killed on recheck",
            "",
            "Survivors of the run that the tests added afterwards kill (`--recheck` runs each of them",
            "again through mutmut's MUTANT_UNDER_TEST switch); they count as killed above.",
            "",
            *[f"- `{name}`" for name in late],
        ]
    lines += ["", "## Surviving mutants", ""]
    for module in modules.values():
        if not module.survivors:
            continue
        lines += [f"### `{module.path}`", ""]
        for name in module.survivors:
            reason = EQUIVALENT.get(name, "not killed yet")
            lines += [f"- `{name.split('.')[-1]}`: {reason}", "", "  ```diff"]
            lines += [f"  {line}" for line in diff(name).splitlines()]
            lines += ["  ```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="write MUTATION.md from the last run")
    parser.add_argument("--constants-only", action="store_true", help="only change the constants")
    parser.add_argument(
        "--recheck", action="store_true", help="run the survivors again against today's tests"
    )
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("names", nargs="*", help="mutant name globs (default: every configured module)")
    args = parser.parse_args()
    saved = ROOT / "mutants" / "constants.json"
    timing = ROOT / "mutants" / "minutes.json"
    if not (args.report_only or args.constants_only):
        began = time.perf_counter()
        run = [*MUTMUT, "run", "--max-children", str(args.max_children), *args.names]
        # Fewer Hypothesis examples per oracle test: a broken formula fails within a few.
        env = {**os.environ, "TRAINER_ORACLE_EXAMPLES": "25"}
        subprocess.run(run, cwd=ROOT, check=False, env=env)
        timing.write_text(json.dumps((time.perf_counter() - began) / 60))
    if args.constants_only or not saved.exists():
        saved.parent.mkdir(exist_ok=True)
        saved.write_text(json.dumps(constant_mutants()))
    if args.constants_only:
        return
    constants = [tuple(row) for row in json.loads(saved.read_text())]
    seconds = 60 * json.loads(timing.read_text()) if timing.exists() else None
    modules = results(configured_modules())
    if args.recheck:
        recheck(modules)
    rechecked_file = ROOT / "mutants" / "rechecked.json"
    rechecked = json.loads(rechecked_file.read_text()) if rechecked_file.exists() else {}
    for module in modules.values():
        for name in [n for n in module.survivors if rechecked.get(n)]:
            module.survivors.remove(name)
            module.counts["killed"] += 1
            module.counts["survived"] -= 1
            module.late_kills.append(name)
    (ROOT / "MUTATION.md").write_text(report(modules, seconds, constants))  # type: ignore[arg-type]
    for module in modules.values():
        score = module.score()
        print(f"{module.path}: {'not run' if score is None else f'{score:.1%}'}")


if __name__ == "__main__":
    main()
