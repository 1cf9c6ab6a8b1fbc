"""`Collection`: the one entry point the CLI, the web UI and the exporters use.

A collection is one learner's view of a database: the shared cards, and that learner's
scheduling state, review log and settings.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from fsrs import Card as FsrsCard
from fsrs import Rating
from sqlalchemy import Connection, Engine, Table, func, or_, select

from trainer.clock import day_bounds_of, learner_day, require_utc
from trainer.decks import cardform, owncards
from trainer.decks.atomic import recover_imports
from trainer.decks.cardform import CardDraft, CardPreview
from trainer.decks.deckfile import DeckSet, load_decks
from trainer.decks.sync import (
    apply_decks,
    concepts_table,
    forget_sources,
    merge_sources,
    remember_sources,
    remembered_sources,
)
from trainer.decks.writer import DeckDraft, write_decks
from trainer.errors import Conflict, NotFound, TrainerError
from trainer.insights.answers import answer_tally
from trainer.model import Card, CardKind, CardState, Memory, Preview, StudyCard, SyncReport
from trainer.settings import Settings
from trainer.storage import backup, changes, imports, inuse, learners, store
from trainer.storage import stories as story_store
from trainer.storage.database import (
    current_revision,
    driver_transaction,
    make_engine,
    migrate,
    read_transaction,
    write_transaction,
)
from trainer.storage.drill_tallies import GradedDrill, tally_drill
from trainer.storage.driver import Driver, integrity_errors
from trainer.storage.generations import learner_generations, studied_decks
from trainer.storage.paths import bundled_decks, data_dir, default_database_url
from trainer.storage.schema import DeckRow
from trainer.storage.tallies import tally_answer
from trainer.study import drills, queue, scheduling, undo
from trainer.study.drills import DrillAnswer
from trainer.study.rubric import Suggestion
from trainer.study.undo import Action, Undone

DEFAULT_LEARNER = "local"
DATABASE_ENV = "TRAINER_DATABASE_URL"
decks_table: Table = DeckRow.__table__  # type: ignore[assignment]
# The shared decks in their files' order, then learners' own decks in the order they were made
# (a folder synced alone numbers its decks from 0, so places alone can tie across folders).
DECK_ORDER = (decks_table.c.owner_id.is_not(None), decks_table.c.position, decks_table.c.slug)


def _require_decks(conn: Connection, slugs: list[str]) -> None:
    """Raise NotFound naming every one of `slugs` that is not a synced deck."""
    if not slugs:
        return
    in_order = select(decks_table.c.slug).order_by(*DECK_ORDER)
    known = list(conn.execute(in_order).scalars())
    unknown = [slug for slug in slugs if slug not in known]
    if unknown:
        names = ", ".join(known) or "none yet"
        raise NotFound("no deck named " + ", ".join(repr(s) for s in unknown) + f"; the decks are: {names}")


@dataclass(frozen=True)
class DeckInfo:
    """A synced deck as stored. A title may carry a subtitle after a colon
    ("Finance: fraud, credit risk..."): `name` is the short part, for tables and menus."""

    slug: str
    title: str
    description: str
    path: str

    @property
    def name(self) -> str:
        """The title up to its first colon ("Finance")."""
        return self.title.split(":", 1)[0].strip() or self.slug

    @property
    def file_name(self) -> str:
        """The deck file's name without its folder ("finance.yaml")."""
        return PurePath(self.path).name

    @property
    def subtitle(self) -> str:
        """The title after its first colon, or "" when it has none."""
        return self.title.split(":", 1)[1].strip() if ":" in self.title else ""


@dataclass(frozen=True)
class ReviewEntry:
    """One row of a card's review history."""

    id: int
    card_id: str
    rating: Rating
    reviewed_at: datetime
    duration_ms: int | None
    before: Memory
    after: Memory
    points_ticked: tuple[int, ...] | None
    points_total: int | None = None
    variant: int | None = None
    optional_ticked: tuple[int, ...] | None = None
    flags_raised: tuple[int, ...] | None = None
    follow_ups_done: tuple[int, ...] | None = None
    typed_answer: str | None = None


def _tuple_or_none(value: Any) -> tuple[int, ...] | None:
    return tuple(value) if value is not None else None


def _drill(points_ticked: Iterable[int] | None, drill: DrillAnswer | None) -> DrillAnswer | None:
    """`drill`, or the short form of only the core points ticked."""
    if drill is not None:
        if points_ticked is not None:
            raise TrainerError("give points_ticked or drill, not both")
        return drill
    return DrillAnswer.of(points_ticked) if points_ticked is not None else None


def _checked_reviews(
    reviews: Iterable[tuple[str, int, datetime, int | None]],
) -> list[tuple[str, int, datetime, int | None]]:
    """`reviews` oldest first, once every rating is 1 to 4 and every time has a time zone."""
    ordered = []
    for card_id, rating, moment, duration in reviews:
        if rating not in (1, 2, 3, 4):
            raise TrainerError(f"an answer to card {card_id!r} has rating {rating!r}; ratings run 1 to 4")
        ordered.append((card_id, int(rating), require_utc(moment), duration))
    return sorted(ordered, key=lambda review: review[2])


@dataclass(frozen=True)
class DecksImported:
    """What `Collection.import_decks` did: the deck files written, the sync, the answers
    replayed and the cards suspended."""

    paths: list[Path]
    sync: SyncReport
    answers: int
    suspended: int


class Collection:
    """One learner's view of a trainer database."""

    def __init__(self, engine: Engine, learner_id: int, learner_name: str):
        self.engine = engine
        self.learner_id = learner_id
        self.learner_name = learner_name
        self._last_deck: str | None = None
        # The card of the last undo, served first until it is answered, suspended or buried.
        self._undone: str | None = None
        # The learner's settings and the settings generation they were read at.
        with read_transaction(engine) as conn:
            settings, generation = learners.settings_and_generation(conn, learner_id)
        self._known_settings: tuple[int, Settings] = (generation, settings)
        # The decks the learner studies, in order, and the decks generation they were read at.
        self._known_decks: tuple[int | None, list[str]] = (None, [])

    # -- opening and closing ------------------------------------------------------------------

    @classmethod
    def open(
        cls, url: str | None = None, user: str | None = None, *, engine: Engine | None = None
    ) -> Collection:
        """Open (creating or migrating the schema as needed) the database at `url`.

        `url` defaults to $TRAINER_DATABASE_URL, then to a SQLite file in the user's data
        folder. `user` picks the learner (created if new); the default is the local learner.
        """
        if engine is None:
            engine = make_engine(url or os.environ.get(DATABASE_ENV) or default_database_url())
        backup.before_migration(engine)
        created = current_revision(engine) is None
        migrate(engine)
        name = user or DEFAULT_LEARNER
        with write_transaction(engine) as conn:
            learner_id = learners.ensure_learner(conn, name)
        opened = cls(engine, learner_id, name)
        opened.created = created
        database = backup.sqlite_file(engine)
        opened._in_use = inuse.hold(database) if database is not None else None
        return opened

    def close(self) -> None:
        """Release the database connections."""
        inuse.release(self._in_use)
        self._in_use = None
        self.engine.dispose()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- decks --------------------------------------------------------------------------------

    def check_decks(self, paths: Iterable[str | Path]) -> DeckSet:
        """Validate the deck files under `paths` without changing the database (an import a
        crash left unfinished there is settled first, see `import_decks`)."""
        sources = list(paths)
        self.recover_imports(sources)
        return load_decks(sources)

    def sync_decks(
        self,
        paths: Iterable[str | Path] | None = None,
        now: datetime | None = None,
        *,
        retire_limit: int | None = None,
    ) -> SyncReport:
        """Make the stored cards match the deck files under `paths`, all or nothing.

        Without `paths`, the bundled decks and every folder or file synced before are read
        (`sync_paths`); given paths are remembered for next time. Cards missing from the files
        are retired in the decks the sync speaks for only: the decks in its files and those
        last synced from inside its folders, so syncing one file touches only that file's
        decks. An import a crash left unfinished in these folders is settled first (see
        `import_decks`). Raises `DeckError` (every problem, with file and line) if any file is invalid,
        and `NeedsConfirmation` if more than `retire_limit` cards would be retired; either
        way nothing changes.
        """
        moment = require_utc(now)
        sources = [Path(p) for p in paths] if paths is not None else self.sync_paths()
        self.recover_imports(sources)
        deck_set = load_decks(sources)
        with write_transaction(self.engine) as conn, backup.before_changes(conn, "pre-sync", moment):
            report = apply_decks(conn, deck_set, moment, sources=sources, retire_limit=retire_limit)
            remember_sources(conn, sources, moment)
        return report

    def remembered_deck_sources(self) -> list[Path]:
        """The deck folders and files synced before, which a sync without paths reads again."""
        with read_transaction(self.engine) as conn:
            return remembered_sources(conn)

    def forget_deck_sources(self, paths: Iterable[str | Path]) -> list[Path]:
        """Stop syncing deck folders or files synced before again (as `review`, `serve` and a
        sync without paths do); their cards stay as they are. Returns the paths forgotten."""
        with write_transaction(self.engine) as conn:
            return forget_sources(conn, [Path(p) for p in paths])

    def sync_paths(self) -> list[Path]:
        """What a sync without paths reads: the bundled decks and every deck folder or file
        synced before that still exists."""
        with read_transaction(self.engine) as conn:
            remembered = remembered_sources(conn)
        return merge_sources([bundled_decks(), *remembered])

    def decks(self) -> list[DeckInfo]:
        """The synced decks the learner studies, in order: the shared ones and their own."""
        query = select(decks_table).where(self._own_or_shared()).order_by(*DECK_ORDER)
        with read_transaction(self.engine) as conn:
            rows = conn.execute(query).all()
        return [DeckInfo(r.slug, r.title, r.description, r.path) for r in rows]

    def _own_or_shared(self) -> Any:
        owner = decks_table.c.owner_id
        return or_(owner.is_(None), owner == self.learner_id)

    def _deck_order(self, conn: Connection | Driver) -> list[str]:
        """The slugs of the decks the learner studies, in order, as `conn`'s transaction sees
        them, after catching up with any change made elsewhere. The list and the settings kept
        from before stay while their generations have not moved on (no sync, no settings save,
        here or in any other process, since they were read); what has moved is read again. One
        statement reads both generations."""
        decks_generation, settings_generation = learner_generations(conn, self.learner_id)
        # Each is read after its generation: a change committed between the two reads leaves
        # newer data under an older generation, read again next time, never older data kept.
        if settings_generation != self._known_settings[0]:
            self._adopt_settings(learners.load_settings(conn, self.learner_id), settings_generation)
        known, slugs = self._known_decks
        if decks_generation != known:
            slugs = studied_decks(conn, self.learner_id)
            self._known_decks = (decks_generation, slugs)
        return slugs

    # -- cards written in a front end ---------------------------------------------------------

    def _author(self, study_group: bool) -> owncards.Author:
        return owncards.Author(self.learner_id, self.learner_name, study_group)

    def save_card(
        self,
        draft: CardDraft,
        card_id: str | None = None,
        *,
        folder: str | Path | None = None,
        study_group: bool = False,
        now: datetime | None = None,
    ) -> list[str]:
        """Add `draft` as a new card of the learner's own deck, or (given `card_id`) make it that
        card's content, keeping its id and so every learner's progress and history; returns the
        ids of the cards the entry makes (a cloze makes one per gap number).

        A new card goes to the learner's own deck file under `folder` (the data folder by
        default), a deck only they study. An edit rewrites the card's entry in its deck file. The
        file is checked by the deck-file rules, synced and replaced atomically, all or nothing.
        Alone (`study_group` False) the learner may edit every deck; in a study group, their own
        deck, and the shared decks only as an admin (`Forbidden` otherwise). Raises `DeckError`
        naming each problem's form field, `NotFound` or `Conflict` (a retired card).
        """
        moment = require_utc(now)
        place = Path(folder) if folder is not None else data_dir()
        saved: owncards.Saved | None = None
        try:
            with write_transaction(self.engine) as conn:
                saved = owncards.save_card(conn, self._author(study_group), draft, card_id, place, moment)
        except BaseException:
            if saved is not None:
                saved.written.restore()  # the file went in but the transaction did not commit
            raise
        return saved.card_ids

    def can_edit(self, card_id: str, *, study_group: bool = False) -> bool:
        """Whether `save_card` may change card `card_id` for this learner (see its rules)."""
        with read_transaction(self.engine) as conn:
            return owncards.can_edit(conn, self._author(study_group), card_id)

    def card_draft(self, card_id: str) -> CardDraft:
        """Card `card_id` as the fields of a form that would save it unchanged; raises NotFound."""
        return CardDraft.of(self.card_content(card_id))

    @staticmethod
    def preview_card(draft: CardDraft) -> CardPreview:
        """`draft` as sanitised HTML, by the renderer synced cards use, valid or not."""
        return cardform.preview(draft)

    def concepts(self) -> dict[str, str]:
        """The concept vocabulary the synced decks use: slug to description, by slug."""
        with read_transaction(self.engine) as conn:
            rows = conn.execute(select(concepts_table.c.id, concepts_table.c.description).order_by("id"))
            return dict(rows.all())

    # -- settings -----------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The learner's current settings, as last saved by this or any other process."""
        self._catch_up()
        return self._settings

    def _catch_up(self) -> None:
        """Read again what another process has changed since this collection last looked."""
        with driver_transaction(self.engine, write=False) as driver:
            self._deck_order(driver)

    @property
    def _settings(self) -> Settings:
        """The settings as this collection's last transaction saw them."""
        return self._known_settings[1]

    def _adopt_settings(self, settings: Settings, generation: int) -> None:
        """Keep `settings`, saved at settings generation `generation`, and forget what was worked
        out from the ones before."""
        before = self._settings
        self._known_settings = (generation, settings)
        if (settings.zone, settings.rollover_hour) != (before.zone, before.rollover_hour):
            self._backup_checked_until = None

    def configure(self, now: datetime | None = None, **changes: Any) -> Settings:
        """Change settings; every change is validated first and all problems reported at once.
        The changes apply to the settings as last saved by any process, so a change made
        elsewhere in the meantime is kept."""
        with write_transaction(self.engine) as conn:
            current, generation = learners.settings_and_generation(conn, self.learner_id, for_update=True)
            updated = current.updated(**changes)
            learners.save_settings(conn, self.learner_id, updated, require_utc(now))
        self._adopt_settings(updated, generation + 1)
        return updated

    # -- the study queue ----------------------------------------------------------------------

    def day(self, now: datetime | None = None) -> queue.DayWindow:
        """The current moment and the bounds of the learner's day, by the time zone and rollover
        hour last saved by this or any other process."""
        self._catch_up()
        return self._day(require_utc(now))

    def _day(self, moment: datetime) -> queue.DayWindow:
        """`day` by the settings as this collection's last transaction saw them."""
        zone, rollover = self._settings.zone, self._settings.rollover_hour
        known = self._last_day
        if known is not None and known[0] == (zone, rollover) and known[1].start <= moment < known[1].end:
            return replace(known[1], now=moment)
        day = learner_day(moment, zone, rollover)
        start, end = day_bounds_of(day, zone, rollover)
        window = queue.DayWindow(moment, start, end, day)
        self._last_day = ((zone, rollover), window)
        return window

    def _limits(self) -> tuple[int, int]:
        return self._settings.new_per_day, self._settings.reviews_per_day

    def _domains(self, conn: Connection | Driver, domain: str | None) -> list[str]:
        """The decks to study: all the learner's, or `domain` alone; NotFound if it is not one."""
        decks = self._deck_order(conn)
        if domain is None:
            return decks
        if domain not in decks:
            raise NotFound(f"no deck named {domain!r}; the decks are: {', '.join(decks) or 'none yet'}")
        return [domain]

    def next_card(self, now: datetime | None = None, domain: str | None = None) -> StudyCard | None:
        """The next card to study now (in `domain` only, if given), or None if none is due."""
        moment = require_utc(now)
        with driver_transaction(self.engine, write=False) as driver:
            decks = self._domains(driver, domain)
            day = self._day(moment)
            return self._undone_card(driver, day.now, decks) or queue.next_card(
                driver,
                self.learner_id,
                day,
                decks=decks,
                last_deck=self._last_deck,
                limits=self._limits(),
                drill_every=self._settings.new_drill_every,
            )

    def serve_first(self, card_id: str) -> None:
        """Serve `card_id` next (as after undoing an action on it), if it can be studied then;
        for front ends whose undo and next request may reach different processes."""
        self._undone = card_id

    def _undone_card(self, driver: Driver, moment: datetime, decks: list[str]) -> StudyCard | None:
        """The card of the last undo if it can be studied now in `decks`; else forget it."""
        if self._undone is None:
            return None
        loaded = store.load_memory(driver, self.learner_id, self._undone)
        if loaded and not loaded.retired and loaded.deck in decks and queue.can_study(loaded.memory, moment):
            return store.study_cards(driver, self.learner_id, card_id=self._undone)[0]
        self._undone = None
        return None

    def due_counts(self, now: datetime | None = None) -> dict[str, queue.Counts]:
        """Per domain, the new, learning and review cards waiting today."""
        moment = require_utc(now)
        with read_transaction(self.engine) as conn:
            order = self._deck_order(conn)
            day = self._day(moment)
            return queue.due_counts(conn, self.learner_id, day, limits=self._limits(), order=order)

    def today_counts(self, now: datetime | None = None) -> queue.Counts:
        """The new, learning and review cards waiting today over all domains."""
        moment = require_utc(now)
        with read_transaction(self.engine) as conn:
            order = self._deck_order(conn)
            day = self._day(moment)
            per_domain = queue.due_counts(conn, self.learner_id, day, limits=self._limits(), order=order)
            return queue.total_counts(per_domain, conn, self.learner_id, day, limits=self._limits())

    def card(self, card_id: str) -> StudyCard:
        """A card and this learner's memory of it; raises NotFound."""
        with read_transaction(self.engine) as conn:
            found = store.study_cards(conn, self.learner_id, card_id=card_id)
        if not found:
            raise NotFound(f"no card {card_id!r}")
        return found[0]

    def previews(self, card: str | StudyCard, now: datetime | None = None) -> list[Preview]:
        """What each rating would schedule for the card now, exactly as `answer` would save it.

        Pass the StudyCard just fetched to skip reading it again.
        """
        moment = require_utc(now)
        study = card if isinstance(card, StudyCard) else self.card(card)
        return scheduling.previews(
            self._settings, study.memory, moment, card_id=study.id, learner_id=self.learner_id
        )

    # -- answering ----------------------------------------------------------------------------

    def answer(
        self,
        card_id: str,
        rating: Rating | int,
        now: datetime | None = None,
        duration_ms: int | None = None,
        *,
        points_ticked: Iterable[int] | None = None,
        request_id: str | None = None,
        expected_reps: int | None = None,
        drill: DrillAnswer | None = None,
    ) -> Memory:
        """Record an answer and reschedule the card, in one transaction; returns the new memory.

        `request_id` makes the call idempotent: a repeat with the same id returns the first
        result and records nothing. `expected_reps` is the review count the caller saw; if the
        card has been answered since, `Conflict` is raised and nothing is recorded. `drill`
        carries a drill's rubric marks, follow-ups handled and typed answer (`points_ticked`
        alone is the short form); they are checked against the variant shown, and
        DrillAnswerError lists every mark that does not fit, with nothing recorded.
        """
        memory, _following = self._answer(
            card_id,
            rating,
            now,
            duration_ms,
            _drill(points_ticked, drill),
            request_id,
            expected_reps,
            serve_next=False,
        )
        return memory

    def answer_and_next(
        self,
        card_id: str,
        rating: Rating | int,
        now: datetime | None = None,
        duration_ms: int | None = None,
        *,
        domain: str | None = None,
        points_ticked: Iterable[int] | None = None,
        request_id: str | None = None,
        expected_reps: int | None = None,
        drill: DrillAnswer | None = None,
    ) -> tuple[Memory, StudyCard | None]:
        """`answer`, then the next card to study now (in `domain`, if given) as `next_card` picks
        it, read in the same transaction: what a review screen needs after each answer.

        An unknown `domain` raises NotFound and nothing is recorded.
        """
        return self._answer(
            card_id,
            rating,
            now,
            duration_ms,
            _drill(points_ticked, drill),
            request_id,
            expected_reps,
            serve_next=True,
            domain=domain,
        )

    def _answer(
        self,
        card_id: str,
        rating: Rating | int,
        now: datetime | None,
        duration_ms: int | None,
        drill: DrillAnswer | None,
        request_id: str | None,
        expected_reps: int | None,
        *,
        serve_next: bool,
        domain: str | None = None,
    ) -> tuple[Memory, StudyCard | None]:
        """Record the answer; with `serve_next`, also read the next card (in `domain`, if given)
        in the same transaction. The deck rotation moves on only once the answer is committed."""
        moment = require_utc(now)
        self.backup_if_due(moment)
        try:
            checked = Rating(int(rating))
        except ValueError:
            raise TrainerError(f"rating must be 1 to 4, got {rating!r}") from None
        if duration_ms is not None and not 0 <= duration_ms <= 86_400_000:
            raise TrainerError("duration_ms must be between 0 and 86400000")
        following = None
        try:
            memory, deck, following = self._answer_transaction(
                card_id, checked, moment, duration_ms, drill, request_id, expected_reps, serve_next, domain
            )
        except integrity_errors():
            # Two answers with one request_id for different cards, each holding its own card's
            # lock: the second insert meets the unique request_id.
            if request_id is None:
                raise
            with driver_transaction(self.engine, write=False) as driver:
                done = store.answer_for_request(driver, self.learner_id, request_id)
            if done is None:
                raise
            return self._repeated(request_id, card_id, done), None
        self._last_deck = deck or self._last_deck
        return memory, following

    @staticmethod
    def _repeated(request_id: str, card_id: str, done: tuple[str, Memory]) -> Memory:
        """The first answer's memory for a repeated `request_id`, which must be for the same card."""
        answered, memory = done
        if answered != card_id:
            raise Conflict(f"request_id {request_id!r} was already used to answer card {answered!r}")
        return memory

    def _answer_transaction(
        self,
        card_id: str,
        checked: Rating,
        moment: datetime,
        duration_ms: int | None,
        drill: DrillAnswer | None,
        request_id: str | None,
        expected_reps: int | None,
        serve_next: bool,
        domain: str | None,
    ) -> tuple[Memory, str | None, StudyCard | None]:
        """The answer's own write transaction: the memory, the deck whose turn it was, the next card."""
        following = None
        with driver_transaction(self.engine, write=True) as driver:
            decks = self._domains(driver, domain)
            next_from = decks if serve_next else None
            memory, deck = self._record_answer(
                driver,
                card_id=card_id,
                rating=checked,
                moment=moment,
                duration_ms=duration_ms,
                drill=drill,
                request_id=request_id,
                expected_reps=expected_reps,
            )
            if self._undone == card_id:
                self._undone = None
            if next_from is not None:
                following = self._undone_card(driver, moment, next_from) or queue.next_card(
                    driver,
                    self.learner_id,
                    self._day(moment),
                    decks=next_from,
                    last_deck=deck or self._last_deck,
                    limits=self._limits(),
                    drill_every=self._settings.new_drill_every,
                )
        return memory, deck, following

    def import_history(
        self,
        reviews: Iterable[tuple[str, int, datetime, int | None]],
        suspended: Iterable[str] = (),
    ) -> int:
        """Replay answers made elsewhere (card id, rating 1 to 4, time, duration in ms) oldest
        first through this learner's scheduler, then suspend the `suspended` cards: all in one
        transaction, so the cards' states are the replay of their new log. Returns the number
        of answers recorded.

        Raises `Conflict`, recording nothing, if any of the cards already has answers here, and
        `TrainerError` for a rating outside 1 to 4 or a time without a time zone.
        """
        ordered = _checked_reviews(reviews)
        with driver_transaction(self.engine, write=True) as driver:
            self._deck_order(driver)
            self._replay(driver, ordered, suspended)
        return len(ordered)

    def import_decks(
        self,
        decks_dir: str | Path,
        drafts: Iterable[DeckDraft],
        *,
        media: Mapping[str, bytes] | None = None,
        reviews: Iterable[tuple[str, int, datetime, int | None]] = (),
        suspended: Iterable[str] = (),
        replace: bool = False,
        now: datetime | None = None,
    ) -> DecksImported:
        """Write `drafts` as deck files in `decks_dir` (and `media`, file name to bytes, into its
        `media/`), sync them, and replay `reviews` and suspend `suspended` as `import_history`
        does, all as one step: the sync and the replay share one write transaction, and if
        anything fails after the files are written (the sync, a review that cannot be replayed,
        an interrupt) the transaction rolls back and the folder is put back as it was (new
        files removed, overwritten ones restored). Raises what `write_decks`, `sync_decks` and
        `import_history` raise.

        The step holds across a crash too (a kill, a power cut): the files go in under a journal
        in `decks_dir` (`trainer.decks.atomic`) whose id the transaction records as it commits.
        A journal left behind is settled before the folder is next read by this collection's
        `import_decks`, `sync_decks` (which `review` and `serve` run first) or `check_decks`:
        an import whose transaction committed is kept, any other rolled back, so files and
        database hold all of it or none.
        """
        moment = require_utc(now)
        ordered = _checked_reviews(reviews)
        to_suspend = list(dict.fromkeys(suspended))
        self.recover_imports([decks_dir])
        written = write_decks(decks_dir, list(drafts), media=media, replace=replace, commit=False)
        try:
            deck_set = load_decks(written.paths)
            with write_transaction(self.engine) as conn, backup.before_changes(conn, "pre-import", moment):
                report = apply_decks(conn, deck_set, moment, sources=written.paths)
                remember_sources(conn, written.paths, moment)
                self._replay(Driver.of(conn), ordered, to_suspend)
                imports.record_import(conn, written.import_id, moment)
        except BaseException:
            written.undo()
            raise
        written.finish()
        return DecksImported(written.paths, report, len(ordered), len(to_suspend))

    def recover_imports(self, paths: Iterable[str | Path]) -> list[str]:
        """Settle the imports a crash left unfinished in the deck folders of `paths` (folders,
        or the folders of deck files): one whose transaction committed in this database is
        kept, any other rolled back (`trainer.decks.atomic`). Imports still running are left
        alone. Returns the ids settled; raises `TrainerError` if a file cannot be put back."""
        settled: list[str] = []
        for folder in dict.fromkeys(p if p.is_dir() else p.parent for p in map(Path, paths)):
            try:
                settled += recover_imports(folder, self._import_committed)
            except OSError as exc:
                raise TrainerError(f"could not settle an unfinished import in {folder}: {exc}") from None
        return settled

    def _import_committed(self, import_id: str) -> bool:
        with write_transaction(self.engine) as conn:
            return imports.import_committed(conn, import_id)

    def _replay(
        self,
        driver: Driver,
        ordered: list[tuple[str, int, datetime, int | None]],
        suspended: Iterable[str],
    ) -> None:
        """Record `ordered` answers and suspend `suspended` cards inside the caller's transaction."""
        wanted = {review[0] for review in ordered} | set(suspended)
        studied = [c for c in sorted(wanted) if store.card_reviews(driver, self.learner_id, c)]
        if studied:
            raise Conflict(f"{len(studied)} card(s) already have answers here, such as {studied[0]!r}")
        for card_id, rating, moment, duration in ordered:
            self._record_answer(
                driver,
                card_id=card_id,
                rating=Rating(rating),
                moment=moment,
                duration_ms=min(duration, 86_400_000) if duration is not None else None,
                drill=None,
                request_id=None,
                expected_reps=None,
            )
        for card_id in dict.fromkeys(suspended):
            loaded = store.load_memory(driver, self.learner_id, card_id, for_update=True)
            if loaded is None:
                raise NotFound(f"no card {card_id!r} to suspend")
            store.save_memory(driver, self.learner_id, card_id, replace(loaded.memory, suspended=True))

    def _record_answer(
        self,
        driver: Driver,
        *,
        card_id: str,
        rating: Rating,
        moment: datetime,
        duration_ms: int | None,
        drill: DrillAnswer | None,
        request_id: str | None,
        expected_reps: int | None,
    ) -> tuple[Memory, str | None]:
        """The new memory, and the deck whose turn it was in the rotation across domains: the
        answered card's, if it was a new or review card (else None, as for a repeated request)."""
        loaded = store.load_memory(driver, self.learner_id, card_id, for_update=True)
        if request_id is not None:
            # Looked up once the card is locked: a repeat that waited for the lock while the
            # first request answered now sees that answer, and returns it.
            done = store.answer_for_request(driver, self.learner_id, request_id)
            if done is not None:
                return self._repeated(request_id, card_id, done), None
        if loaded is None:
            raise NotFound(f"no card {card_id!r}")
        if loaded.retired:
            raise Conflict(f"card {card_id!r} has been retired from its deck")
        before = loaded.memory
        if expected_reps is not None and before.reps != expected_reps:
            raise Conflict(f"card {card_id!r} was answered elsewhere since it was shown")
        checked = self._checked_drill(driver, card_id, before.reps, drill)
        after = scheduling.review(
            self._settings, before, rating, moment, card_id=card_id, learner_id=self.learner_id
        )
        store.save_memory(driver, self.learner_id, card_id, after)
        day = self._day(moment)
        store.count_answer(driver, self.learner_id, day.date, day.start, before.state, 1)
        tally = answer_tally(
            card_id=card_id,
            deck=loaded.deck,
            day=day.date,
            parameters=self._settings.parameters,
            before=before,
            rating=rating,
            moment=moment,
            duration_ms=duration_ms,
            points=(checked.rubric.points_ticked, checked.sizes[0]) if checked and checked.rubric else None,
        )
        tally_answer(driver, self.learner_id, tally, 1)
        entry = {
            "learner": self.learner_id,
            "card": card_id,
            "rating": int(rating),
            "reviewed_at": moment,
            "duration_ms": duration_ms,
            "state_before": int(before.state),
            "state_after": int(after.state),
            "before": before.to_dict(),
            "after": after.to_dict(),
            "points_ticked": None,
            "points_total": None,
            **(checked.log_values() if checked else {}),
            "request_id": request_id,
        }
        log_id = store.log_review(driver, entry)
        if entry["points_total"] is not None:
            graded = GradedDrill(
                log_id,
                card_id,
                entry["variant"] or 0,
                entry["points_total"],
                entry["points_ticked"] or (),
                entry["flags_raised"] or (),
                duration_ms,
            )
            tally_drill(driver, self.learner_id, graded, 1)
        # Only new and review cards take turns across domains; a learning card answered out of
        # turn must not move the rotation on, or a domain whose cards keep failing in learning
        # would lose its turns for new cards to them.
        return after, (loaded.deck if before.state in (CardState.NEW, CardState.REVIEW) else None)

    def _checked_drill(
        self, driver: Driver, card_id: str, reps: int, drill: DrillAnswer | None
    ) -> drills.CheckedAnswer | None:
        if drill is None or drill.empty:
            return None
        card = store.card_content(driver, card_id)
        if card is None:
            raise NotFound(f"no card {card_id!r}")
        return drills.check_answer(card, reps, drill)

    def undo(self) -> str:
        """Revert the learner's last action (an answer exactly, state and log; or a suspend,
        unsuspend or bury); returns the card's id. `next_card` then serves that card first.

        Call again to undo the action before it. Raises NothingToUndo when there is none.
        """
        return self.undo_last().card_id

    def undo_last(self, now: datetime | None = None, *, today_only: bool = False) -> Undone:
        """`undo`, telling which card and which kind of action was reverted. With `today_only`
        (the `u` key of a study page, which knows nothing of earlier sessions) an action taken
        before the learner's day began is left alone: NothingToUndo."""
        since = self._day(require_utc(now)).start if today_only else None

        def count_day(when: datetime) -> tuple[Any, datetime]:
            day = self._day(when)
            return day.date, day.start

        with write_transaction(self.engine) as conn:
            self._deck_order(conn)
            undone = undo.undo_last(conn, self.learner_id, count_day, self._untally, since)
        self._last_deck = None
        self._undone = undone.card_id
        return undone

    def _untally(self, conn: Connection, answer: Any) -> None:
        """Take an undone answer (its review-log row) back out of the statistics' tallies."""
        loaded = store.load_memory(conn, self.learner_id, answer.card_id)
        points = (answer.points_ticked or [], answer.points_total) if answer.points_total else None
        tally = answer_tally(
            card_id=answer.card_id,
            deck=loaded.deck if loaded is not None else "",
            day=self._day(answer.reviewed_at).date,
            parameters=self._settings.parameters,
            before=Memory.from_dict(answer.before),
            rating=answer.rating,
            moment=answer.reviewed_at,
            duration_ms=answer.duration_ms,
            points=points,
        )
        tally_answer(conn, self.learner_id, tally, -1)
        if answer.points_total is not None:
            tally_drill(conn, self.learner_id, GradedDrill.of_log(answer), -1)

    # -- suspend and bury ---------------------------------------------------------------------

    def suspend(self, card_id: str, suspended: bool = True, now: datetime | None = None) -> None:
        """Take a card out of every queue (or put it back) until told otherwise; undoable."""
        self._change_flags(
            card_id, "suspend" if suspended else "unsuspend", require_utc(now), suspended=suspended
        )

    def bury(self, card_id: str, now: datetime | None = None) -> None:
        """Hide a card until the learner's next day starts; undoable."""
        self._change_flags(card_id, "bury", require_utc(now), bury=True)

    def _change_flags(
        self, card_id: str, action: Action, moment: datetime, *, bury: bool = False, **flags: Any
    ) -> None:
        with write_transaction(self.engine) as conn:
            if bury:
                self._deck_order(conn)  # the day's end is the learner's as last saved
                flags["buried_until"] = self._day(moment).end
            loaded = store.load_memory(conn, self.learner_id, card_id, for_update=True)
            if loaded is None:
                raise NotFound(f"no card {card_id!r}")
            if loaded.retired:
                raise Conflict(f"card {card_id!r} has been retired from its deck")
            store.save_memory(conn, self.learner_id, card_id, replace(loaded.memory, **flags))
            undo.record_step(conn, self.learner_id, card_id, action, loaded.memory, moment)
        if self._undone == card_id:
            self._undone = None

    # -- memory and history -------------------------------------------------------------------

    def fsrs_card(self, card_id: str, now: datetime | None = None) -> FsrsCard:
        """The card's current state as an `fsrs.Card`."""
        return scheduling.to_fsrs(card_id, self.card(card_id).memory, require_utc(now))

    def retrievability(self, card_id: str, now: datetime | None = None) -> float:
        """The predicted probability of recalling the card now (0 if never reviewed)."""
        return scheduling.retrievability(self.settings, self.card(card_id).memory, require_utc(now))

    def history(self, card_id: str | None = None) -> list[ReviewEntry]:
        """The learner's review log, oldest first; one card's only if `card_id` is given."""
        query = select(store.logs).where(store.logs.c.learner_id == self.learner_id)
        if card_id is not None:
            query = query.where(store.logs.c.card_id == card_id)
        with read_transaction(self.engine) as conn:
            rows = conn.execute(query.order_by(store.logs.c.id)).all()
        return [
            ReviewEntry(
                id=row.id,
                card_id=row.card_id,
                rating=Rating(row.rating),
                reviewed_at=row.reviewed_at,
                duration_ms=row.duration_ms,
                before=Memory.from_dict(row.before),
                after=Memory.from_dict(row.after),
                points_ticked=_tuple_or_none(row.points_ticked),
                points_total=row.points_total,
                variant=row.variant,
                optional_ticked=_tuple_or_none(row.optional_ticked),
                flags_raised=_tuple_or_none(row.flags_raised),
                follow_ups_done=_tuple_or_none(row.follow_ups_done),
                typed_answer=row.typed_answer,
            )
            for row in rows
        ]

    # -- drills -------------------------------------------------------------------------------

    def suggest_rating(
        self, card: str | StudyCard, answer: DrillAnswer, duration_ms: int | None = None
    ) -> Suggestion:
        """The suggested rating, with its reasons, for `answer` to the variant of the drill shown
        now (rules in `trainer.study.rubric`); DrillAnswerError for marks that do not fit."""
        study = card if isinstance(card, StudyCard) else self.card(card)
        return drills.suggestion(study.card, study.memory.reps, answer, duration_ms)

    def typed_answers(self, card_id: str) -> list[ReviewEntry]:
        """The learner's earlier answers to the card that carry a typed answer, newest first."""
        return [entry for entry in reversed(self.history(card_id)) if entry.typed_answer]

    def typed_answer_counts(self, card_ids: Iterable[str]) -> dict[str, int]:
        """How many typed answers the learner has kept for each of `card_ids` (absent: none)."""
        wanted = list(dict.fromkeys(card_ids))
        if not wanted:
            return {}
        logs = store.logs
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(logs.c.card_id, func.count())
                .where(logs.c.learner_id == self.learner_id, logs.c.card_id.in_(wanted))
                .where(logs.c.typed_answer.is_not(None))
                .group_by(logs.c.card_id)
            ).all()
        return {card_id: int(count) for card_id, count in rows}

    def story(self, card_id: str) -> str | None:
        """The learner's own story for a story drill, or None if not written yet."""
        with read_transaction(self.engine) as conn:
            return story_store.load_story(conn, self.learner_id, card_id)

    def save_story(self, card_id: str, text: str, now: datetime | None = None) -> str:
        """Store the learner's own story for a story drill, replacing any earlier one, and return
        it as stored; DrillAnswerError unless the card is a story drill and the text is 1 to
        20,000 characters."""
        moment = require_utc(now)
        checked = drills.check_story(self.card(card_id).card, text)
        with write_transaction(self.engine) as conn:
            story_store.save_story(conn, self.learner_id, card_id, checked, moment)
        return checked

    def stories(self) -> dict[str, str]:
        """Every story the learner has written, by card id (for their own exports)."""
        with read_transaction(self.engine) as conn:
            return story_store.all_stories(conn, self.learner_id)

    def cards(self, *, include_retired: bool = False, decks: Iterable[str] | None = None) -> list[StudyCard]:
        """Every card with this learner's memory of it, in deck order; only the cards of `decks`
        if given (raises NotFound, naming them, if any of `decks` is not a synced deck)."""
        wanted = list(dict.fromkeys(decks or ()))
        with read_transaction(self.engine) as conn:
            _require_decks(conn, wanted)
            return store.study_cards(conn, self.learner_id, include_retired=include_retired, decks=wanted)

    def card_contents(self, decks: Iterable[str] | None = None, kind: CardKind | None = None) -> list[Card]:
        """The content of every live card, in deck order; only the cards of `decks` and of
        `kind` if given.

        Reads no memory, so it is the cheap way to list cards. Raises NotFound, naming them, if
        any of `decks` is not a synced deck.
        """
        wanted = list(dict.fromkeys(decks or ()))
        with read_transaction(self.engine) as conn:
            _require_decks(conn, wanted)
            return store.card_contents(conn, self.learner_id, wanted, kind)

    def content_changed_at(self, decks: Iterable[str] | None = None) -> dict[str, datetime]:
        """When each live card's content last changed (sync time of its last edit), by card id;
        only the cards of `decks` if given. A move within the deck file is not a change."""
        with read_transaction(self.engine) as conn:
            return changes.content_times(conn, self.learner_id, list(dict.fromkeys(decks or ())))

    def changed_card_contents(self, decks: Iterable[str] | None = None) -> list[tuple[Card, datetime]]:
        """`card_contents` with each card's `content_changed_at`, read together (raises
        NotFound, naming them, if any of `decks` is not a synced deck)."""
        wanted = list(dict.fromkeys(decks or ()))
        with read_transaction(self.engine) as conn:
            _require_decks(conn, wanted)
            return changes.changed_card_contents(conn, self.learner_id, wanted)

    def card_content(self, card_id: str) -> Card:
        """A card's content; raises NotFound."""
        return self.card(card_id).card

    def domain_stats(self, now: datetime | None = None) -> Any:
        """One row per domain: cards, introduced, mature, due, retention and more (pandas)."""
        from trainer.insights.stats import domain_report

        return domain_report(self, require_utc(now))

    _backup_checked_until: datetime | None = None
    _in_use: Path | None = None
    created = False  # whether `open` made a new, empty collection

    @property
    def location(self) -> str:
        """Where the collection lives: its SQLite file, or its database URL without a password."""
        database = backup.sqlite_file(self.engine)
        return str(database) if database is not None else self.engine.url.render_as_string(hide_password=True)

    _last_day: tuple[tuple[Any, int], queue.DayWindow] | None = None

    def backup_if_due(self, now: datetime | None = None) -> Path | None:
        """Back up the SQLite file if no backup was taken in the learner's day; returns it or None.

        Checked at most once per learner-day by this collection, so answering stays cheap.
        """
        moment = require_utc(now)
        if self._backup_checked_until is not None and moment < self._backup_checked_until:
            return None
        self._backup_checked_until = self._day(moment).end
        try:
            return backup.daily_backup(self.engine, self._settings.zone, self._settings.rollover_hour, moment)
        except (OSError, TrainerError):
            # A failed backup must never cost the learner an answer; the next day tries again.
            logging.getLogger(__name__).exception("the daily backup failed")
            return None

    def focus_card(self, now: datetime | None = None, mode: str = "weakest") -> StudyCard | None:
        """The next card of a focus session (see `trainer.insights.focus`): "weakest" serves the weakest
        domains' due cards, then their lowest-retrievability cards early; "interview" serves,
        in the final days, the cards predicted below target on the interview date. None when
        there is nothing to serve."""
        from trainer.insights.focus import focus_queue

        moment = require_utc(now)
        with driver_transaction(self.engine, write=False) as driver:
            undone = self._undone_card(driver, moment, self._deck_order(driver))
        if undone is not None:
            return undone
        ids = focus_queue(self, moment, mode=mode, limit=1)
        return self.card(ids[0]) if ids else None
