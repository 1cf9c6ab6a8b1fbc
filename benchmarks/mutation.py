"""Mutation testing of the modules that hold the rules, with mutmut; writes MUTATION.md.

Each module in MODULES is mutated on its own, in a copy of the tree (mutants/modules/<module>),
with only the tests that state its rules: mutmut runs those tests once to learn which of them
reach which function, then runs, for each mutant, only those (in forked workers). A mutant is
killed when a test fails. The settings every module shares are in pyproject.toml ([tool.mutmut]).

    pip install -e '.[test,mutation]'
    python benchmarks/mutation.py                   # every module, then the report
    python benchmarks/mutation.py queue backup      # only these modules (matched by name)
    python benchmarks/mutation.py --survivors       # run the survivors again against today's tests
    python benchmarks/mutation.py --recheck tests/x.py -- backup   # the survivors against these tests
    python benchmarks/mutation.py --update weakness # only the mutants of functions changed since
    python benchmarks/mutation.py --report-only     # rewrite MUTATION.md from the stored results
    python benchmarks/mutation.py --record --report-only weakness   # keep a module's outcome first

The results stay in mutants/modules/<module> (mutmut's own record, plus late-kills.json for the
survivors that `--survivors` or `--recheck` found killed later), and each command that changes
them keeps the module's outcome in benchmarks/mutation-results/<module>.json, which is committed;
`--report-only` rewrites MUTATION.md from those (or from the copy of a module without one) with
today's EQUIVALENT reasons, without running anything. The section
"The run recorded here" of MUTATION.md is written by hand and carried over as it is.

Set TRAINER_TEST_POSTGRES_URL to run the modules marked `postgresql` on PostgreSQL as well (with
one worker, since the tests wipe that database); without it their PostgreSQL-only code goes
untested and its mutants count as survivors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants" / "modules"
# Each module's outcome as of its last run, recheck or update, kept in the repository so that
# MUTATION.md can be written from any checkout (mutmut's own files stay in WORK).
RECORDS = ROOT / "benchmarks" / "mutation-results"
MUTMUT = [sys.executable, "-m", "mutmut"]
TARGET = 0.85


@dataclass(frozen=True)
class Target:
    """A module to mutate, the tests that state its rules, and whether they need PostgreSQL."""

    path: str
    tests: tuple[str, ...]
    postgresql: bool = False

    @property
    def name(self) -> str:
        return self.path.removeprefix("trainer/").removesuffix(".py").replace("/", ".")


MODULES = [
    Target("trainer/study/rubric.py", ("tests/study/test_rubric_table.py",)),
    Target("trainer/insights/forecast.py", ("tests/insights/test_forecast_oracle.py",)),
    Target("trainer/accounts/throttle.py", ("tests/accounts/test_throttle.py",), postgresql=True),
    Target("trainer/settings.py", ("tests/test_settings.py",)),
    Target(
        "trainer/decks/sync.py",
        (
            "tests/decks/test_sync.py",
            "tests/decks/test_own_cards.py",
            "tests/decks/test_sync_scope.py",
            "tests/cli/test_deck_sources.py",
        ),
    ),
    Target("trainer/storage/backup.py", ("tests/storage/test_backup.py",)),
    Target(
        "trainer/study/queue.py",
        (
            "tests/study/test_study.py",
            "tests/study/test_today_counts.py",
            "tests/study/test_undo.py",
            "tests/study/test_queue_rules.py",
        ),
    ),
    Target(
        "trainer/study/scheduling.py",
        (
            "tests/study/test_fsrs_oracle.py",
            "tests/study/test_intervals.py",
            "tests/study/test_study.py",
            "tests/study/test_scheduling_rules.py",
        ),
    ),
    Target(
        "trainer/insights/weakness.py",
        (
            "tests/insights/test_stats_gaps.py",
            "tests/insights/test_weakness_ranking.py",
            "tests/insights/test_card_reads.py",
            "tests/insights/test_stats_equivalence.py",
            "tests/insights/test_weakness_edges.py",
            "tests/insights/test_missed_and_gaps_edges.py",
        ),
    ),
]
# The parts of the tree a module's copy needs (web and exporters are imported from the checkout;
# they import `trainer` from the mutated copy, which comes first on sys.path).
COPIED = ("trainer", "tests", "decks")


# Survivors that no test can kill, by mutant name, and why.
EQUIVALENT: dict[str, str] = {
    "trainer.study.rubric.x_suggested_rating__mutmut_9": (
        "equivalent: `suggest` never reads the red-flag count in `sizes` (only the flags raised count),"
        " and `suggested_rating` raises none"
    ),
    "trainer.settings.x__coerce__mutmut_6": (
        "equivalent: a datetime is taken as its day just above, so `raw` here is a date or text, and for"
        " a date `date.fromisoformat(str(raw))` gives back the same date"
    ),
    "trainer.settings.x__coerce__mutmut_61": (
        "equivalent: `int()` itself ignores whitespace around a number, so stripping it first changes nothing"
    ),
    "trainer.settings.x__finite__mutmut_3": (
        "equivalent: both callers catch this ValueError and raise their own message instead, so its text"
        " is never shown"
    ),
    "trainer.accounts.throttle.x__lock__mutmut_14": "equivalent: SQL keywords are case-insensitive",
    "trainer.accounts.throttle.x__lock__mutmut_22": (
        "equivalent: `int.from_bytes` reads big-endian by default since Python 3.11, the oldest supported"
    ),
    **dict.fromkeys(
        [
            "trainer.storage.backup.x__checkpoint__mutmut_5",
            "trainer.storage.backup.x__checkpoint__mutmut_6",
            "trainer.storage.backup.x__copy__mutmut_26",
            "trainer.storage.backup.x__copy__mutmut_27",
            "trainer.storage.backup.x__has_content__mutmut_13",
            "trainer.storage.backup.x__has_content__mutmut_25",
            "trainer.storage.backup.x__has_content__mutmut_26",
            "trainer.storage.backup.x_verify__mutmut_13",
            "trainer.storage.backup.x_verify__mutmut_14",
            "trainer.storage.backup.x_verify__mutmut_26",
            "trainer.storage.backup.x_verify__mutmut_37",
            "trainer.storage.backup.x_verify__mutmut_38",
            "trainer.study.queue.x__first__mutmut_8",
        ],
        "equivalent: SQL keywords, pragma names and identifiers are case-insensitive",
    ),
    **dict.fromkeys(
        [
            "trainer.storage.backup.x__copy__mutmut_17",
            "trainer.storage.backup.x__copy__mutmut_19",
            "trainer.storage.backup.x__copy__mutmut_20",
            "trainer.storage.backup.x__has_content__mutmut_5",
            "trainer.storage.backup.x__has_content__mutmut_7",
            "trainer.storage.backup.x__has_content__mutmut_8",
            "trainer.storage.backup.x_verify__mutmut_5",
            "trainer.storage.backup.x_verify__mutmut_7",
            "trainer.storage.backup.x_verify__mutmut_8",
        ],
        (
            "equivalent on this build: the SQLite library is compiled with URI file names on "
            "(SQLITE_USE_URI), so a `file:...?mode=ro` name opens read-only with or without `uri=True`"
        ),
    ),
    **dict.fromkeys(
        ["trainer.storage.backup.x__copy__mutmut_31"],
        "equivalent on Linux: `fsync` flushes a file opened read-only as well",
    ),
    **dict.fromkeys(
        ["trainer.storage.backup.x__copy__mutmut_39", "trainer.storage.backup.x__copy__mutmut_40"],
        (
            "equivalent: the partial file exists whenever this runs (mkstemp made it, and once renamed "
            "nothing raises)"
        ),
    ),
    **dict.fromkeys(
        ["trainer.storage.backup.x__has_content__mutmut_2"],
        (
            "equivalent: a missing file fails to open read-only, which `_has_content` catches and answers"
            " False all the same"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.storage.backup.x__replace__mutmut_1",
            "trainer.storage.backup.x__replace__mutmut_3",
            "trainer.storage.backup.x__replace__mutmut_5",
        ],
        (
            "equivalent as the code stands: `restore` takes the in-use lock beside the database before "
            "this, and that fails first when the folder is missing (a raw FileNotFoundError: restoring "
            "into a folder that does not exist yet is not handled)"
        ),
    ),
    **dict.fromkeys(
        ["trainer.storage.backup.x__replace__mutmut_10", "trainer.storage.backup.x__replace__mutmut_11"],
        "equivalent: the staging file's name is private to `_replace`; any name beside the database works",
    ),
    **dict.fromkeys(
        [
            "trainer.storage.backup.x_backup_database__mutmut_11",
            "trainer.storage.backup.x_backup_database__mutmut_13",
            "trainer.storage.backup.x_backup_database__mutmut_9",
        ],
        (
            "equivalent: the backups folder's parent is the database's own folder, which exists (the "
            "database was just found there)"
        ),
    ),
    **dict.fromkeys(
        ["trainer.decks.sync.x_apply_decks__mutmut_170", "trainer.decks.sync.x_apply_decks__mutmut_175"],
        (
            "equivalent: the retiring updates' chunks overlap (a step of 1, or chunks of 501 every 500) but"
            " still cover every card, and setting `retired` and the retired queue twice writes the same rows"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.decks.sync.x__sync_vocabulary__mutmut_29",
            "trainer.decks.sync.x__sync_vocabulary__mutmut_30",
        ],
        (
            "equivalent: the default is only used when no deck is stored, and a deck placed with kept"
            " places (a learner's own) can only be made once a synced deck has given it a concept, so"
            " some deck is always stored by then"
        ),
    ),
    "trainer.decks.sync.x__sync_vocabulary__mutmut_42": (
        "equivalent: own decks are listed after every shared deck (`DECK_ORDER`), so only their order"
        " among themselves counts, and a gap of one more place before each new one keeps that order"
    ),
    "trainer.decks.sync.x__sync_vocabulary__mutmut_31": (
        "equivalent: `changed` is only tested for truth and is only ever set to True after this, so"
        " starting it at None instead of False changes nothing"
    ),
    **dict.fromkeys(
        [
            "trainer.study.queue.x__first__mutmut_2",
            "trainer.study.queue.x__first__mutmut_4",
            "trainer.study.queue.x__first__mutmut_5",
        ],
        (
            "equivalent: `_first` is only asked for learning and review cards (new cards come from "
            "`next_new_card`), so the position order is never chosen"
        ),
    ),
    **dict.fromkeys(
        ["trainer.study.queue.x_share_limit__mutmut_34"],
        (
            "equivalent: `per_deck` is at most `left // len(open_decks)` (or 1 while `left` is positive),"
            " so the steps of one round never exceed `left` and the third bound never binds"
        ),
    ),
    "trainer.study.scheduling.x_fsrs_card_id__mutmut_4": (
        "equivalent: `int.from_bytes` reads big-endian by default since Python 3.11, the oldest supported"
    ),
    **dict.fromkeys(
        ["trainer.study.scheduling.x_to_fsrs__mutmut_4", "trainer.study.scheduling.x_to_fsrs__mutmut_8"],
        (
            "equivalent: fsrs.Card gives a card in Learning step 0 when its step is None or not given"
            " (fsrs 6: `if self.state == State.Learning and step is None: step = 0`), so the card built"
            " is the same"
        ),
    ),
    "trainer.study.scheduling.x_to_fsrs__mutmut_7": (
        "equivalent: State.Learning is fsrs.Card's default state, so leaving it out builds the same card"
    ),
    **dict.fromkeys(
        ["trainer.study.scheduling.x_previews__mutmut_13", "trainer.study.scheduling.x_review__mutmut_19"],
        (
            "equivalent: `to_fsrs` uses `now` only as the due date of the card it builds, and fsrs's"
            " `review_card` never reads a card's due (it sets it from the review time and the new"
            " interval); with None, fsrs.Card takes the clock's time as due instead, which nothing reads"
        ),
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
        for n in (13, 15, 22, 24)
    },
    "trainer.insights.forecast.x_next_difficulty__mutmut_25": (
        "equivalent: for a difficulty in [1, 10] and parameters inside fsrs's bounds (w4 <= 10,"
        " w5 > 0, w6 <= 4, w7 < 1), the damped difficulty is at most D + (10 - D) * 8/9 <= 10 and the"
        " easy initial difficulty is below w4, so their mean never exceeds 10 and the upper clip never acts"
    ),
    # trainer/insights/weakness.py
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x__additive_fit__mutmut_2",
            "trainer.insights.weakness.x__additive_fit__mutmut_6",
        ],
        (
            "equivalent: `reviews` and `rate` are float64 columns already (`card_totals` and"
            " `log_aggregates` cast the counts to float, `rate` is a float division), and integer weights"
            " would be cast to float64 all the same by `np.average`, `np.bincount` and the products"
        ),
    ),
    "trainer.insights.weakness.x__additive_fit__mutmut_31": (
        "equivalent: the first of the FIT_ROUNDS rounds assigns `a` before anything reads it"
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x__additive_fit__mutmut_38",
            "trainer.insights.weakness.x__additive_fit__mutmut_62",
        ],
        (
            "equivalent up to rounding in the last bits: `+ mu` instead of `- mu` adds the same 2 * mu to"
            " every domain's (concept's) mean residual, and the centring on the next line subtracts their"
            " weighted mean, which removes that constant again"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x__additive_fit__mutmut_51",
            "trainer.insights.weakness.x__additive_fit__mutmut_75",
        ],
        (
            "equivalent up to rounding in the last bits: the weighted mean of the freshly fitted effects is"
            " already zero (mu is the reviews-weighted mean rate and the other effect is centred on the"
            " same weights), so adding it instead of subtracting it changes nothing"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_card_concepts__mutmut_41",
            "trainer.insights.weakness.x_card_concepts__mutmut_43",
        ],
        (
            "equivalent: `json_values` gives one list (or None) per card, which pandas holds in an object"
            " Series whatever dtype is asked for (an empty one is object too)"
        ),
    ),
    "trainer.insights.weakness.x_card_concepts__mutmut_50": (
        "equivalent: `card_id` and `deck` come from NOT NULL columns, so `concept` is the only column"
        " that can be missing and dropping rows missing any value drops the same rows"
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_missed_points__mutmut_15",
            "trainer.insights.weakness.x_missed_points__mutmut_16",
        ],
        (
            "equivalent: only `columns[:-1]` is read (the frame's first columns); `miss_rate` is added"
            " under its own name below, so the last name of the list is never used"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_overall_recall__mutmut_2",
            "trainer.insights.weakness.x_overall_recall__mutmut_5",
        ],
        (
            "equivalent: a `domain_report`'s `recall_answers_30d` is an int column (0 for a domain"
            " without answers), never missing, so what fills its gaps is never used"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_overall_recall__mutmut_13",
            "trainer.insights.weakness.x_overall_recall__mutmut_16",
        ],
        (
            "equivalent: `recall_30d` is missing exactly where a domain has no recall answers, and there"
            " it is multiplied by 0 answers: 1 * 0 adds 0, and NaN * 0 is NaN, which `sum` skips"
        ),
    ),
    # trainer/insights/weakness.py (gap attribution and most-missed points)
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_gap_attribution__mutmut_30",
            "trainer.insights.weakness.x_gap_attribution__mutmut_32",
        ],
        (
            "equivalent: `card_id` is the only column the two frames share, and `merge` joins on the"
            " shared columns when `on` is None or not given"
        ),
    ),
    "trainer.insights.weakness.x_gap_attribution__mutmut_44": (
        "equivalent: pandas reads `as_index` only as a truth value, and None is false like False"
    ),
    "trainer.insights.weakness.x_gap_attribution__mutmut_59": (
        "equivalent: every card summed into a cell has at least one review (`_concept_totals` keeps"
        " tallies with reviews > 0, `log_aggregates` counts log rows per card), so no cell has none and"
        " the filter drops nothing either way"
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_missed_points__mutmut_125",
            "trainer.insights.weakness.x_missed_points__mutmut_126",
            "trainer.insights.weakness.x_missed_points__mutmut_178",
        ],
        (
            "equivalent: the chunk sizes only decide how many rows' rubrics are read per round: `found` is"
            " always the ranked rows that have text, in ranking order, up to the end of the round that"
            " reaches `limit`, and the final sort (stable, on the ranking's own keys) keeps that order"
            " while `head(limit)` cuts the same first rows; for limit <= 0 the loop never runs"
        ),
    ),
    "trainer.insights.weakness.x_missed_points__mutmut_128": (
        "equivalent: once `found` holds `limit` rows another round only appends rows that come after"
        " them in the ranking, which `head(limit)` drops (at limit 0 the frame is empty and typed the"
        " same either way, as test_missed_and_gaps_edges checks)"
    ),
    "trainer.insights.weakness.x_missed_points__mutmut_129": (
        "equivalent: the extra round at `start == len(ranked)` has an empty chunk, so `_rubrics` is"
        " asked for no card and nothing is appended"
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_missed_points__mutmut_148",
            "trainer.insights.weakness.x_missed_points__mutmut_154",
            "trainer.insights.weakness.x_missed_points__mutmut_165",
        ],
        "equivalent: the five iterables are columns of the same `chunk`, so they always have the same length",
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_missed_points__mutmut_168",
            "trainer.insights.weakness.x_missed_points__mutmut_170",
        ],
        (
            "equivalent: every card of the chunk has just been looked up by `_rubrics`, and every card"
            " with a rubric tally has its row in `cards` (tallies are written for answered cards or"
            " rebuilt from the log, whose card_id references `cards`, and no code deletes a card), so"
            " the default is never taken"
        ),
    ),
    "trainer.insights.weakness.x_missed_points__mutmut_171": (
        "equivalent: the default's rubric map is empty, so `rubrics.get(total)` is None and the row is"
        " left out before `deck` is read"
    ),
    # trainer/insights/weakness.py (concept totals and reads)
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x__concept_totals__mutmut_17",
            "trainer.insights.weakness.x__concept_totals__mutmut_36",
        ],
        (
            "equivalent: the rows the filter keeps out are cards with 0 reviews (NOT NULL counts, left at 0"
            " by an undo, never negative) and so 0 failures, which add nothing to a cell's sums, and"
            " `gap_attribution`, the only caller, drops a cell whose reviews sum to 0"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x__concept_totals__mutmut_58",
            "trainer.insights.weakness.x__concept_totals__mutmut_59",
            "trainer.insights.weakness.x__concept_totals__mutmut_60",
            "trainer.insights.weakness.x__concept_totals__mutmut_61",
        ],
        (
            "equivalent: the counts left uncast are Python ints on both databases (SUM of an INTEGER"
            " column: integer on SQLite, bigint on PostgreSQL), and `gap_attribution`, the only caller,"
            " sums them, divides them as floats, casts them to float in `_additive_fit` and to int in its"
            " result, and reads only `reviews` and `failed`, never the extra misnamed column"
        ),
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x__concept_totals__mutmut_62",
            "trainer.insights.weakness.x_domain_concept_retrievability__mutmut_60",
        ],
        "equivalent: pandas reads the dtype None as float64 (`pandas_dtype(None)`), the same as float",
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x__rubrics__mutmut_43",
            "trainer.insights.weakness.x__rubrics__mutmut_47",
            "trainer.insights.weakness.x__rubrics__mutmut_48",
        ],
        (
            "equivalent: `points` and `drills` are read from the same `cards` rows, one value each"
            " (`json_values` returns one value per input), so the three always have the same length"
        ),
    ),
    "trainer.insights.weakness.x_domain_concept_retrievability__mutmut_42": (
        "equivalent: a frame with no columns holds no values for a dtype to apply to; both are the same"
        " empty frame (same index, columns and dtypes)"
    ),
    "trainer.insights.weakness.x_domain_concept_retrievability__mutmut_59": (
        "equivalent: `fillna(None)` fills nothing, and the NaN it leaves for a card without stability is"
        " skipped by the groupby `sum` below (0 for a cell of NaN only, min_count 0), exactly what 0.0"
        " adds"
    ),
    "trainer.insights.weakness.x_with_concepts__mutmut_23": (
        "equivalent: `lists` has only the columns `code` (from `range`, never missing) and `concept`, so"
        " dropping rows missing any value drops the rows missing a concept"
    ),
    **dict.fromkeys(
        [
            "trainer.insights.weakness.x_with_concepts__mutmut_31",
            "trainer.insights.weakness.x_with_concepts__mutmut_33",
        ],
        (
            "equivalent: a frame with a `concept` or `code` column is refused above, so `code` is the only"
            " column the two frames share, and `merge` joins on the shared columns when `on` is not given"
        ),
    ),
}

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


# What each mutmut exit status counts as. A mutant that makes the tests hang or crash is caught;
# one whose tests do not reach it ("no tests") is a survivor, not an equivalent.
KILLED = {"killed", "timeout", "segfault"}
NOT_KILLED = {"survived", "no tests", "suspicious"}


@dataclass
class Module:
    target: Target
    counts: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)
    late_kills: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)
    timing: dict[str, Any] | None = None
    minutes: float | None = None

    @property
    def killed(self) -> int:
        return sum(self.counts[status] for status in KILLED)

    @property
    def equivalent(self) -> int:
        return sum(1 for name in self.survivors if name in EQUIVALENT)

    def score(self) -> float | None:
        """killed / (killed + survived + no tests - equivalent); None if nothing ran."""
        counted = self.killed + len(self.survivors) - self.equivalent
        return self.killed / counted if counted else None


def workdir(target: Target) -> Path:
    return WORK / target.name


def mutmut_config(target: Target) -> str:
    """The pyproject.toml of a module's copy: the checkout's, with this module's [tool.mutmut]."""
    text = (ROOT / "pyproject.toml").read_text()
    shared = re.search(r"^\[tool\.mutmut\]\n((?:(?!\[).*\n)*)", text, re.MULTILINE)
    if shared is None:
        raise SystemExit("pyproject.toml has no [tool.mutmut] table")
    pytest_args = re.search(r"^pytest_add_cli_args = (.*)$", shared.group(1), re.MULTILINE)
    args = json.loads(pytest_args.group(1)) if pytest_args else []
    table = "\n".join(
        [
            "[tool.mutmut]",
            'source_paths = ["trainer"]',
            # The bundled decks sit beside the package (trainer.storage.paths.bundled_decks).
            'also_copy = ["decks"]',
            f"only_mutate = {json.dumps([target.path])}",
            f"pytest_add_cli_args = {json.dumps(args)}",
            f"pytest_add_cli_args_test_selection = {json.dumps(list(target.tests))}",
            "",
        ]
    )
    return text[: shared.start()] + table + text[shared.end() :]


def prepare(target: Target, fresh: bool, source: bool = False) -> Path:
    """The module's copy of the tree: made anew (`fresh`), or with today's tests (and today's
    `trainer` too if `source`). An earlier run's mutmut settings are kept: mutmut throws away
    every result when the pytest arguments change."""
    folder = workdir(target)
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for part in COPIED:
        if part == "trainer" and (folder / part).exists() and not source:
            continue
        shutil.rmtree(folder / part, ignore_errors=True)
        shutil.copytree(ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
    settings = folder / "pyproject.toml"
    if fresh or not settings.exists():
        settings.write_text(mutmut_config(target))
    return folder


class LoadSampler:
    """The machine's one-minute load average, sampled every 30 seconds while a run lasts."""

    def __init__(self) -> None:
        self.samples: list[float] = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(30):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> tuple[float, float, float]:
        """(lowest, mean, highest) load seen."""
        self._stop.set()
        self.samples.append(os.getloadavg()[0])
        return min(self.samples), sum(self.samples) / len(self.samples), max(self.samples)


def test_env(target: Target | None) -> dict[str, str]:
    """The environment a module's tests run in. PostgreSQL only for a module marked `postgresql`:
    without its URL the PostgreSQL cases skip themselves (a `-k` on the word would also drop
    tests that merely name PostgreSQL, such as the refusal to back it up). Fewer Hypothesis
    examples per oracle test: a broken formula fails within a few."""
    env = {**os.environ, "TRAINER_ORACLE_EXAMPLES": "25"}
    if target is None or not target.postgresql:
        env.pop("TRAINER_TEST_POSTGRES_URL", None)
        env.pop("TRAINER_REQUIRE_POSTGRES", None)
    return env


def run_module(
    target: Target, max_children: int, names: list[str] | None = None, refresh: bool = False
) -> tuple[float, float]:
    """Run mutmut over one module (all its mutants afresh, only `names` again, or, to `refresh`,
    those of the functions changed since); returns the minutes it took and the CPU minutes (user
    and system) it and its test workers used."""
    folder = prepare(target, fresh=names is None and not refresh, source=refresh)
    children = 1 if target.postgresql and os.environ.get("TRAINER_TEST_POSTGRES_URL") else max_children
    env = test_env(target)
    began, used = time.perf_counter(), _children_cpu()
    command = [*MUTMUT, "run", "--max-children", str(children), *(names or [])]
    subprocess.run(command, cwd=folder, check=False, env=env)
    return (time.perf_counter() - began) / 60, (_children_cpu() - used) / 60


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def results(target: Target) -> Module:
    """A module's mutant outcomes, from the .meta file mutmut leaves beside its mutants."""
    from mutmut.stats import status_by_exit_code

    module = Module(target)
    meta = workdir(target) / "mutants" / (target.path + ".meta")
    if not meta.exists():
        return module
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    for name, code in sorted(codes.items()):
        status = status_by_exit_code[code]
        module.counts[status] += 1
        if status in NOT_KILLED:
            module.survivors.append(name)
            module.status[name] = status
    return module


def recheck(target: Target, tests: list[str]) -> list[str]:
    """Run a module's survivors against `tests` (files in its selection, written after its run),
    each mutant in a forked child of one process that imported everything once, through mutmut's
    own switch (MUTANT_UNDER_TEST); returns those now killed and saves them with the late kills."""
    saved = workdir(target) / "late-kills.json"
    earlier = json.loads(saved.read_text()) if saved.exists() else []
    before = [name for name in results(target).survivors if name not in EQUIVALENT and name not in earlier]
    folder = prepare(target, fresh=False)
    if (folder / target.path).read_text() != (ROOT / target.path).read_text():
        raise SystemExit(f"{target.path} changed since its run: run it again (--update)")
    shutil.copytree(folder / "tests", folder / "mutants" / "tests", dirs_exist_ok=True)
    # The other modules as they are today (tests written since may use what was added since);
    # only the module under test keeps its mutated copy.
    shutil.copytree(
        ROOT / "trainer",
        folder / "mutants" / "trainer",
        dirs_exist_ok=True,
        ignore=lambda where, names: [
            name for name in names if name == "__pycache__" or Path(where, name) == ROOT / target.path
        ],
    )
    here = Path.cwd()
    os.chdir(folder / "mutants")
    sys.path.insert(0, str(folder / "mutants"))
    environment = test_env(target)
    os.environ.clear()
    os.environ.update(environment)
    import pytest

    args = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *tests]
    pytest.main(["--collect-only", "-qq", *args])
    import trainer

    if not Path(trainer.__file__).is_relative_to(folder / "mutants"):
        raise SystemExit(f"the tests import {trainer.__file__}, not the mutated copy")

    def fails_with(name: str) -> bool:
        pid = os.fork()
        if pid == 0:
            os.environ["MUTANT_UNDER_TEST"] = name
            with open(os.devnull, "w") as quiet:
                os.dup2(quiet.fileno(), 1)
                os.dup2(quiet.fileno(), 2)
            os._exit(int(pytest.main(args)))
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status) == 1

    # With no mutant active the tests must pass, or every failure below would count as a kill.
    if fails_with(""):
        raise SystemExit(f"{' '.join(tests)} fail without any mutant: fix them before the recheck")
    killed = []
    for name in before:
        if fails_with(name):
            killed.append(name)
        print(f"{name}: {'killed' if killed and killed[-1] == name else 'survived'} on recheck", flush=True)
    os.chdir(here)
    saved.write_text(json.dumps(sorted(set(earlier) | set(killed))))
    return killed


def rerun_survivors(target: Target, max_children: int) -> list[str]:
    """Run a module's survivors again against today's tests; returns those now killed (they are
    also saved, so the report can name the survivors that tests added after the run kill)."""
    before = [name for name in results(target).survivors if name not in EQUIVALENT]
    if not before:
        return []
    run_module(target, max_children, before)
    after = set(results(target).survivors)
    killed = [name for name in before if name not in after]
    saved = workdir(target) / "late-kills.json"
    earlier = json.loads(saved.read_text()) if saved.exists() else []
    saved.write_text(json.dumps(sorted(set(earlier) | set(killed))))
    return killed


def function_hashes(target: Target) -> dict[str, str]:
    """mutmut's hash of each function of the module, as of its last run."""
    meta = workdir(target) / "mutants" / (target.path + ".meta")
    return json.loads(meta.read_text())["hash_by_function_name"] if meta.exists() else {}


def update(target: Target, max_children: int) -> list[str]:
    """Bring a module's results up to today's code: mutmut tests again only the mutants of the
    functions that changed since its run (and any new ones), with today's tests. The late kills
    of a changed function are dropped (its mutants are new); returns the changed functions."""
    before = function_hashes(target)
    run_module(target, max_children, refresh=True)
    after = function_hashes(target)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    saved = workdir(target) / "late-kills.json"
    if saved.exists():
        kept = [name for name in json.loads(saved.read_text()) if function_of(name) not in changed]
        saved.write_text(json.dumps(kept))
    stale = [
        name
        for name in EQUIVALENT
        if name.startswith(f"trainer.{target.name}.") and function_of(name) in changed
    ]
    for name in stale:
        print(f"{name}: its function changed; check that it is still equivalent", flush=True)
    return changed


def function_of(mutant: str) -> str:
    """The function a mutant belongs to, as mutmut names it ("x_prune", "xǁSettingsǁcheck")."""
    return mutant.rpartition(".")[2].partition("__mutmut_")[0]


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
            run = subprocess.run([*command, *tests], cwd=copy, capture_output=True, env=test_env(None))
            out.append((module, old, new, run.returncode == 1))
            print(f"{module}: {old} -> {new}: {'killed' if run.returncode == 1 else 'survived'}", flush=True)
    return out


def diff(target: Target, name: str) -> str:
    """The changed lines of a mutant (what `mutmut show` prints), read in its module's copy."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = Path.cwd()
    os.chdir(workdir(target))
    try:
        shown = get_diff_for_mutant(name, path=target.path)
    finally:
        os.chdir(here)
    lines = [line for line in shown.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n".join(lines)


def timings() -> dict[str, dict[str, Any]]:
    """Each module's last full run: minutes, CPU minutes, workers and (lowest, mean, highest) load."""
    out = {}
    # An earlier layout kept one file for a whole run, with its load range in words.
    whole = WORK / "timing.json"
    if whole.exists():
        earlier = json.loads(whole.read_text())
        found = re.search(r"load average ([\d.]+) to ([\d.]+), mean ([\d.]+)", earlier.get("text", ""))
        load = [float(found[1]), float(found[3]), float(found[2])] if found else [0.0, 0.0, 0.0]
        for name, minutes in earlier.get("minutes", {}).items():
            out[name] = {"minutes": minutes, "cpu": earlier["cpu"][name], "load": load, "workers": 2}
    for target in MODULES:
        saved = workdir(target) / "timing.json"
        if saved.exists():
            out[target.name] = json.loads(saved.read_text())
    return out


NOTES = "## The run recorded here"


def notes(text: str) -> list[str]:
    """The hand-written section of an earlier MUTATION.md (how the run was made), to carry over."""
    start = text.find(NOTES)
    if start < 0:
        return []
    end = text.find("\n## ", start + len(NOTES))
    return ["", *text[start : end if end >= 0 else len(text)].rstrip().splitlines()]


def report(modules: list[Module], constants: list[tuple[str, str, str, bool]], kept: list[str]) -> str:
    lines = [
        "# Mutation testing",
        "",
        "`python benchmarks/mutation.py` runs [mutmut](https://github.com/boxed/mutmut) over each module",
        "that holds rules, on its own, with the tests that state those rules (`MODULES` in the script),",
        "and writes this file.",
        "",
        "Score = killed / (killed + survived + no tests - equivalent), target"
        f" {TARGET:.0%} per module. A mutant that",
        "makes the tests time out or crash counts as killed. A mutant that no selected test reaches",
        '("no tests") counts as a survivor: it is not dropped. Equivalent mutants are survivors that',
        "no test can kill, each listed below with the reason.",
    ]
    timing = {m.target.name: m.timing for m in modules if m.timing}
    if timing:
        wall = sum(t["minutes"] for t in timing.values())
        cpu = sum(t.get("cpu") or 0.0 for t in timing.values())
        lines += [
            "",
            f"Last full run of each module: {wall:.0f} minutes in all (the sum of the modules' own runs), on"
            " 2 cores shared with other jobs; the workers and the one-minute load average during each"
            f" module's run are in the table. The runs used {cpu:.0f} CPU minutes (user and system time of"
            " mutmut and its test workers, from `getrusage`), so on 2 free cores with 2 workers the"
            f" whole run needs about {cpu / 2:.0f} minutes plus the time the tests spend waiting.",
        ]
    lines += [
        "",
        "| module | tests | mutants | killed | survived | no tests | equivalent | not run | score"
        " | minutes | CPU minutes | workers | load (low-mean-high) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for module in modules:
        score = module.score()
        total = sum(module.counts.values())
        shown = "not run" if score is None else f"{score:.1%}"
        tests = ", ".join(f"`{Path(test).stem}`" for test in module.target.tests)
        run = timing.get(module.target.name)
        measured = (
            f" {run['minutes']:.1f} | {run['cpu']:.1f} | {run['workers']} |"
            f" {'-'.join(f'{x:.0f}' for x in run['load']) if run.get('load') else 'not sampled'} |"
            if run
            else " | | | |"
        )
        lines.append(
            f"| `{module.target.path}` | {tests} | {total} | {module.killed} | {module.counts['survived']} |"
            f" {module.counts['no tests']} | {module.equivalent} | {module.counts['not checked']} | {shown} |"
            + measured
        )
    open_gaps = sum(len(m.survivors) - m.equivalent for m in modules)
    lines += [
        "",
        f"Survivors neither killed nor shown equivalent: {open_gaps} (listed as NOT KILLED below; they"
        " count against the score).",
        *kept,
        "",
        "## Constants",
        "",
        "mutmut changes function bodies only; the constants that state rules are changed one at a time",
        "(`CONSTANTS` in the script) and their tests run against each change.",
        "",
        "| module | change | outcome |",
        "| --- | --- | --- |",
    ]
    for path, old, new, killed in constants:
        lines.append(f"| `{path}` | `{old}` → `{new}` | {'killed' if killed else 'SURVIVED'} |")
    late = [name for module in modules for name in module.late_kills]
    if late:
        lines += [
            "",
            "## Killed by tests added after the run",
            "",
            "Survivors of the run that tests written afterwards kill (`--survivors` runs each of them",
            "again through mutmut with today's tests, `--recheck` against the given test files); they",
            "count as killed above.",
            "",
            *[f"- `{name}`" for name in late],
        ]
    lines += ["", "## Surviving mutants", ""]
    for module in modules:
        if not module.survivors:
            continue
        lines += [f"### `{module.target.path}`", ""]
        for name in module.survivors:
            reason = EQUIVALENT.get(name, "NOT KILLED")
            lines += [f"- `{name.split('.')[-1]}`: {reason}", "", "  ```diff"]
            lines += [f"  {line}" for line in module.diffs.get(name, "").splitlines()]
            lines += ["  ```", ""]
    return "\n".join(lines).rstrip() + "\n"


def local_module(target: Target) -> Module:
    """A module's outcome from mutmut's files in its copy (WORK), late kills counted as killed."""
    module = results(target)
    saved = workdir(target) / "late-kills.json"
    late = set(json.loads(saved.read_text())) if saved.exists() else set()
    for name in [name for name in module.survivors if name in late]:
        # Killed by `--recheck`, which leaves mutmut's own record as it was.
        module.survivors.remove(name)
        module.counts[module.status[name]] -= 1
        module.counts["killed"] += 1
    module.late_kills = sorted(late)
    module.diffs = {name: diff(target, name) for name in module.survivors}
    module.timing = timings().get(target.name)
    return module


def save_record(target: Target) -> None:
    """Keep a module's outcome in RECORDS, from its copy in WORK."""
    module = local_module(target)
    if not module.counts:
        return
    record = {
        "path": target.path,
        "counts": dict(sorted(module.counts.items())),
        "survivors": {name: module.status[name] for name in module.survivors},
        "diffs": module.diffs,
        "late_kills": module.late_kills,
        "timing": module.timing,
    }
    RECORDS.mkdir(parents=True, exist_ok=True)
    (RECORDS / f"{target.name}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


def load_modules(targets: list[Target]) -> list[Module]:
    """Each module's outcome: its record in RECORDS if there is one, else its copy in WORK."""
    modules = []
    for target in targets:
        saved = RECORDS / f"{target.name}.json"
        if not saved.exists():
            modules.append(local_module(target))
            continue
        record = json.loads(saved.read_text())
        module = Module(target, counts=Counter(record["counts"]), timing=record["timing"])
        module.survivors = list(record["survivors"])
        module.status = dict(record["survivors"])
        module.diffs = record["diffs"]
        module.late_kills = record["late_kills"]
        modules.append(module)
    return modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="write MUTATION.md from the last run")
    parser.add_argument("--constants-only", action="store_true", help="only change the constants")
    parser.add_argument("--survivors", action="store_true", help="run the survivors again with today's tests")
    parser.add_argument(
        "--update", action="store_true", help="test again only the mutants of functions changed since the run"
    )
    parser.add_argument(
        "--recheck",
        nargs="+",
        metavar="TEST",
        help="run the survivors of one module against these test files",
    )
    parser.add_argument(
        "--record", action="store_true", help="keep the chosen modules' outcomes from their copies in RECORDS"
    )
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("modules", nargs="*", help="part of a module's name (default: every module)")
    args = parser.parse_args()
    chosen = [t for t in MODULES if not args.modules or any(part in t.name for part in args.modules)]
    WORK.mkdir(parents=True, exist_ok=True)
    if args.recheck:
        [target] = chosen
        killed = recheck(target, args.recheck)
        save_record(target)
        print(f"{target.name}: {len(killed)} survivors killed on the recheck")
        return
    if args.record:
        for target in chosen:
            save_record(target)
    if not (args.report_only or args.constants_only):
        for target in chosen:
            sampler = LoadSampler()
            if args.survivors:
                killed = rerun_survivors(target, args.max_children)
                save_record(target)
                print(f"{target.name}: {len(killed)} survivors killed on the rerun", flush=True)
                sampler.stop()
                continue
            if args.update:
                changed = update(target, args.max_children)
                save_record(target)
                print(f"{target.name}: tested again the mutants of {', '.join(changed) or 'no function'}")
                sampler.stop()
                continue
            minutes, cpu = run_module(target, args.max_children)
            low, mean, high = sampler.stop()
            workers = (
                1 if target.postgresql and os.environ.get("TRAINER_TEST_POSTGRES_URL") else args.max_children
            )
            record = {"minutes": minutes, "cpu": cpu, "load": [low, mean, high], "workers": workers}
            (workdir(target) / "timing.json").write_text(json.dumps(record))
            save_record(target)
    saved = WORK / "constants.json"
    if args.constants_only or not saved.exists():
        saved.write_text(json.dumps(constant_mutants()))
    if args.constants_only:
        return
    constants = [tuple(row) for row in json.loads(saved.read_text())]
    modules = load_modules(MODULES)
    written = ROOT / "MUTATION.md"
    kept = notes(written.read_text()) if written.exists() else []
    written.write_text(report(modules, constants, kept))  # type: ignore[arg-type]
    for module in modules:
        score = module.score()
        print(f"{module.target.path}: {'not run' if score is None else f'{score:.1%}'}")


if __name__ == "__main__":
    main()
