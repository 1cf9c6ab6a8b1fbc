"""The JSON API's contract, declared once: request and response models for every route under /api/.

The request models validate what clients send (JSON bodies strictly: a number must be a JSON
number; query strings and the review page's form fields by conversion from text). The routes in
`web.api` and `web.stats_api` name these models in `web.apispec.spec.validate`, which validates
requests with them and generates the OpenAPI document at /api/openapi.json from them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    RootModel,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from trainer import CardDraft, DrillAnswer, Rating
from trainer.decks.browse import MAX_OFFSET, MAX_RESULTS, DueFilter, StateFilter
from trainer.model import CardKind, DrillStyle

from .present import rating_from

MAX_DURATION_MS = 86_400_000
MAX_TYPED_ANSWER = 20_000
MAX_COUNT = 2**31 - 1
RatingName = Literal["Again", "Hard", "Good", "Easy"]


def _rating(raw: Any) -> Rating:
    try:
        return rating_from(raw)
    except ValueError as exc:
        raise PydanticCustomError("rating", str(exc)) from None


RatingValue = Annotated[
    Rating,
    PlainValidator(_rating),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": 4},
                {"type": "string", "enum": list(RatingName.__args__)},
            ],
            "description": "1 to 4, or a rating's name.",
        }
    ),
]
CardId = Annotated[str, StringConstraints(min_length=1)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Probability = Annotated[float, Field(ge=0, le=1)]
Index = Annotated[int, Field(ge=0)]


def clamped(low: int, high: int) -> BeforeValidator:
    """A whole number brought into low..high, for what a page measures or a link asks for (a time
    the browser counted, a page number) where a value out of range has a plain meaning. Text
    that is no whole number is left to the int check, which refuses it naming the field."""

    def clamp(raw: Any) -> Any:
        try:
            return max(low, min(int(raw), high))
        except (TypeError, ValueError):
            return raw

    return BeforeValidator(clamp)


MeasuredDuration = Annotated[int, clamped(0, MAX_DURATION_MS)]


class Body(BaseModel):
    """A JSON request body: types are checked strictly; unknown keys are ignored."""

    model_config = ConfigDict(strict=True)


class Query(BaseModel):
    """Query parameters, converted from text; an empty parameter counts as absent."""

    model_config = ConfigDict(strict=False)

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data


# -- requests -------------------------------------------------------------------------------


class NextQuery(Query):
    domain: str | None = Field(None, description="Only this deck's cards.")


class AnswerRequest(Body):
    """An answer to a card; send back the card's `request_id` and `reps` (as expected_reps)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {"card_id": "a-fact", "rating": 3, "expected_reps": 0, "duration_ms": 5000}
        }
    )

    card_id: CardId
    rating: RatingValue
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="Repeating a request with the same id applies it once."
    )
    expected_reps: Count | None = Field(None, description="The card's `reps` when it was shown.")
    duration_ms: Annotated[int, Field(ge=0, le=MAX_DURATION_MS)] | None = None
    points_ticked: list[Index] | None = Field(
        None, description="Indexes of the core points covered (drills), in the variant shown."
    )
    optional_ticked: list[Index] | None = Field(None, description="Indexes of the optional points covered.")
    flags_raised: list[Index] | None = Field(None, description="Indexes of the red flags the answer made.")
    follow_ups_done: list[Index] | None = Field(None, description="Indexes of the follow-ups handled.")
    typed_answer: Annotated[str, StringConstraints(max_length=MAX_TYPED_ANSWER)] | None = Field(
        None, description="The learner's typed answer, kept with the review (at most 20,000 characters)."
    )
    domain: str | None = Field(None, description="Serve the next card from this deck only.")

    def drill_answer(self) -> DrillAnswer | None:
        """The drill marks and typed answer, or None when none was sent."""
        marks = (self.optional_ticked, self.flags_raised, self.follow_ups_done, self.typed_answer)
        if self.points_ticked is None and all(mark is None for mark in marks):
            return None
        return DrillAnswer.of(
            self.points_ticked,
            self.optional_ticked,
            self.flags_raised,
            self.follow_ups_done,
            self.typed_answer,
        )


def _rating_or_suggested(raw: Any) -> Rating | Literal["suggested"]:
    return "suggested" if raw == "suggested" else _rating(raw)


class AnswerForm(AnswerRequest):
    """The review page's answer form: an `AnswerRequest` whose rating may also be "suggested"
    (the rating the drill's marks suggest), with the drill's other marks and typed answer; its
    fields arrive as text and are converted."""

    rating: Annotated[  # type: ignore[assignment]
        Rating | Literal["suggested"],
        PlainValidator(_rating_or_suggested),
        WithJsonSchema({"description": 'As AnswerRequest, or "suggested".'}),
    ]
    duration_ms: MeasuredDuration | None = Field(
        None, description="The time the page counted since it showed the card, brought into 0 to a day."
    )

    def drill_answer(self) -> DrillAnswer | None:
        """The drill marks and typed answer, or None when the form was not a drill's."""
        if self.points_ticked is None:
            return None
        return super().drill_answer()


class SuspendRequest(Body):
    card_id: CardId
    suspended: bool = True


class CardRequest(Body):
    card_id: CardId


class StoryRequest(Body):
    story: str = Field(description="The learner's own story for a story drill (1 to 20,000 characters).")


class StoryOut(BaseModel):
    """The learner's own story for a story drill: theirs alone, null until written."""

    card_id: str
    story: str | None


class CardsQuery(Query):
    q: str | None = Field(None, description="Words to find, in any order: every one must match.")
    deck: str | None = None
    concept: str | None = None
    kind: CardKind | None = None
    state: StateFilter | None = None
    due: DueFilter | None = Field(None, description="today: due by the end of today; overdue: before it.")
    leech: bool | None = None
    suspended: bool | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_RESULTS)] = 50
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


def _index_list(raw: Any) -> list[int]:
    if isinstance(raw, list):
        raw = ",".join(str(part) for part in raw)
    try:
        values = [int(part) for part in str(raw).split(",") if part.strip()]
    except ValueError:
        raise PydanticCustomError("index_list", "must be comma-separated indexes, such as 0,2") from None
    if any(value < 0 for value in values):
        raise PydanticCustomError("index_list", "indexes start at 0")
    return values


IndexList = Annotated[
    list[int],
    PlainValidator(_index_list),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^\d+(,\d+)*$"},
            ],
            "description": "Indexes, comma-separated (0,2).",
        }
    ),
]


class DrillMarks(Query):
    """The marks on a drill's answer as shown now (its current variant): core points ticked,
    optional points and red flags, each a list of indexes."""

    ticked: IndexList = Field([], description="Indexes of the core points covered (with `total`, a count).")
    optional: IndexList = Field([], description="Indexes of the optional points covered.")
    flags: IndexList = Field([], description="Indexes of the red flags the answer made.")

    def drill_answer(self) -> DrillAnswer:
        """The marks as the rubric reads them."""
        return DrillAnswer.of(self.ticked, self.optional, self.flags)


class SuggestQuery(DrillMarks):
    """The review page's rubric (/review/suggest): the marks on the drill `card_id` and the time
    the page has counted since it showed the card."""

    card_id: CardId
    duration_ms: MeasuredDuration | None = None


class RubricQuery(DrillMarks):
    """The marks on the drill `card_id` and the answer time. Without `card_id`, `ticked` is a
    count of `total` core points (the rule on core coverage alone)."""

    card_id: str | None = Field(None, description="The drill; its current variant is graded.")
    total: Annotated[int, Field(ge=1)] | None = Field(None, description="Core points, when no card_id.")
    duration_ms: Annotated[int, Field(ge=0, le=MAX_DURATION_MS)] | None = None

    @field_validator("total")
    @classmethod
    def _covers_ticked(cls, total: int | None, info: ValidationInfo) -> int | None:
        ticked = info.data.get("ticked") or []
        over = len(ticked) > 1 or any(count > total for count in ticked[:1]) if total is not None else False
        if over and info.data.get("card_id") is None:
            raise PydanticCustomError(
                "ticked_over_total",
                "must be at least ticked ({ticked})",
                {"ticked": ",".join(map(str, ticked))},
            )
        return total

    @model_validator(mode="after")
    def _card_or_total(self) -> RubricQuery:
        if self.card_id is None and self.total is None:
            raise PydanticCustomError("card_or_total", "give card_id (or, for a bare count, total)")
        return self


CardText = Annotated[str, StringConstraints(max_length=MAX_TYPED_ANSWER)]


class CardPreviewRequest(Body):
    """A card being written, as its form holds it: the rubric lists one item a line."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"kind": "cloze", "text": "Recall is {{c1::TP / (TP + FN)}}."}}
    )

    kind: Literal["fact", "cloze", "drill"]
    prompt: CardText = ""
    answer: CardText = ""
    why: CardText = ""
    text: CardText = Field("", description="A cloze's text with its {{c1::...}} gaps.")
    style: Literal["", "framing", "design", "story"] = ""
    points: CardText = ""
    optional: CardText = ""
    red_flags: CardText = ""

    def draft(self) -> CardDraft:
        """The draft the collection previews."""
        return CardDraft.from_text(
            self.kind,
            prompt=self.prompt,
            answer=self.answer,
            why=self.why,
            text=self.text,
            style=str(self.style),
            points=self.points,
            optional=self.optional,
            red_flags=self.red_flags,
        )


class TimezoneChoiceForm(Query):
    """The answer to the time zone prompt: use the browser's zone (`timezone`, checked by the
    settings' own rule) or keep the current one; `next` is the page to go back to."""

    choice: Literal["use", "keep"]
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    next: str | None = None

    @model_validator(mode="after")
    def _zone_to_use(self) -> TimezoneChoiceForm:
        if self.choice == "use" and not self.timezone:
            raise PydanticCustomError("zone_missing", "give the time zone to use")
        return self


# -- responses ------------------------------------------------------------------------------


class ProblemOut(BaseModel):
    message: str
    field: str | None = None
    file: str | None = None
    line: int | None = None


class ErrorOut(BaseModel):
    """The request was refused; `error` says why and `problems` lists every problem found."""

    error: str
    problems: list[ProblemOut]


class CsrfOut(BaseModel):
    csrf_token: str


class MemoryOut(BaseModel):
    state: Annotated[int, Field(ge=0, le=3)]
    state_name: Literal["new", "learning", "review", "relearning"]
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: str | None = Field(None, json_schema_extra={"format": "date-time"})
    last_review: str | None = Field(None, json_schema_extra={"format": "date-time"})
    reps: Count
    lapses: Count
    suspended: bool
    buried_until: str | None = Field(None, json_schema_extra={"format": "date-time"})
    leech: bool


class PreviewOut(BaseModel):
    rating: Annotated[int, Field(ge=1, le=4)]
    name: RatingName
    interval: str
    due: str = Field(json_schema_extra={"format": "date-time"})


class FollowUpOut(BaseModel):
    prompt: str
    answer: str


class StudyCardOut(BaseModel):
    """A card to show; the HTML fields are rendered and sanitised."""

    id: str
    deck: str
    kind: Literal["fact", "cloze", "drill"]
    front_html: str
    back_html: str
    why_html: str = ""
    style: DrillStyle | None = Field(None, description="A drill's style; null for facts and clozes.")
    time_target_s: int | None = Field(None, description="A drill's answer time target, in seconds.")
    variant: Count = Field(0, description="The drill variant shown (0 is the base text).")
    variants: Annotated[int, Field(ge=1)] = 1
    prompt: str = ""
    answer: str = ""
    points: list[str] = Field([], description="The shown variant's core rubric points.")
    optional: list[str] = []
    red_flags: list[str] = []
    follow_ups: list[FollowUpOut] = []
    story: str | None = Field(
        None, description="On a story drill, the learner's own story (null until written)."
    )
    suggestions: list[RatingName] = Field([], description="The rating suggested for 0..n ticked points.")
    concepts: list[str] = []
    reps: int = Field(description="Send back as expected_reps.")
    state: str = ""
    request_id: str = Field(description="Send back with the answer.")
    previews: list[PreviewOut]


class NextOut(BaseModel):
    card: StudyCardOut | None


class AnswerOut(BaseModel):
    card_id: str
    memory: MemoryOut
    next: StudyCardOut | None


class UndoOut(BaseModel):
    """Undone; `next` is the card to study now, the undone card first."""

    card_id: str
    action: Literal["answer", "suspend", "unsuspend", "bury"]
    next: StudyCardOut | None


class SuspendOut(BaseModel):
    card_id: str
    suspended: bool


class BuryOut(BaseModel):
    card_id: str
    buried: bool


class CountsOut(BaseModel):
    new: Count
    learning: Count
    review: Count


class TodayOut(CountsOut):
    minutes: Annotated[float, Field(ge=0)]
    answered_today: Count
    domains: dict[str, CountsOut]


class DomainStatsOut(BaseModel):
    """One domain's progress; a value that cannot be known yet is null."""

    domain: str
    cards: int
    introduced: int
    mature: int
    due: int
    overdue: int | None = None
    reviews_30d: int | None = None
    retention_30d: float | None = None
    retention_low: float | None = None
    retention_high: float | None = None
    retrievability: float | None = None
    lapses: int | None = None
    difficulty: float | None = None
    rubric_coverage: float | None = None
    retention_estimate: float | None = None
    retention_ceiling: float | None = None
    weak_rank: int | None = None


class CardOut(BaseModel):
    card: dict[str, Any] = Field(description="The card as its deck file states it.")
    memory: MemoryOut
    retrievability: Probability


class FoundCardOut(BaseModel):
    id: str
    deck: str
    kind: str
    memory: MemoryOut


class CardsOut(BaseModel):
    total: Count
    cards: list[FoundCardOut]


class SuggestionOut(BaseModel):
    """The suggested rating and, in the order the rules applied, its reasons."""

    rating: Annotated[int, Field(ge=1, le=4)]
    name: RatingName
    reasons: list[str]
    coverage: Probability | None = Field(None, description="Core points covered, as a share.")


class ReadinessOut(BaseModel):
    interview_date: str = Field(json_schema_extra={"format": "date"})
    moment: str | None = Field(None, json_schema_extra={"format": "date-time"})
    days_left: Count
    overall: Probability | None
    per_domain: dict[str, float | None]
    cards: Count
    target: float
    reviews_per_day: Count | None = None


class ReadinessEnvelope(BaseModel):
    readiness: ReadinessOut | None = Field(description="null when no interview date is set.")


class WeakCellOut(BaseModel):
    domain: str
    concept: str
    reviews: int
    failed: int
    rate: float
    domain_effect: float | None = None
    concept_effect: float | None = None
    gap: Literal["concept", "domain", "both"]


class MissedPointOut(BaseModel):
    card_id: str
    domain: str
    point: str
    index: int
    shown: int
    missed: int
    miss_rate: float | None = None


class WeaknessOut(BaseModel):
    weakest: list[str]
    concept_gaps: list[str]
    domain_gaps: list[str]
    weak_cells: list[WeakCellOut]
    missed_points: list[MissedPointOut]


class FramingDomainOut(BaseModel):
    """One domain: graded fact and cloze answers and the share recalled, beside drill answers,
    their mean core coverage, red-flag rate, median time as a multiple of the target and the
    share far (1.5 times) over it; null where there is nothing yet."""

    domain: str
    recall_reviews: Count
    recall_rate: Probability | None = None
    drill_answers: Count
    core_coverage: Probability | None = None
    red_flag_rate: Probability | None = None
    time_vs_target: float | None = None
    over_target_share: Probability | None = None


class FramingGapOut(BaseModel):
    domain: str
    recall_rate: Probability
    core_coverage: Probability


class HabitOut(BaseModel):
    """A core point missed, or a red flag raised, in `times` of the `answers` that showed it."""

    card_id: str
    domain: str
    variants: list[Count]
    text: str
    answers: Count
    times: Count


class HabitsOut(BaseModel):
    missed: list[HabitOut]
    red_flags: list[HabitOut]


class FramingOut(BaseModel):
    domains: list[FramingDomainOut]
    known_but_badly_framed: list[FramingGapOut] = Field(
        description="Domains whose facts are recalled but whose drills are framed badly, on enough answers."
    )
    habits: HabitsOut


class DomainStatsList(RootModel[list[DomainStatsOut]]):
    """One record per domain."""


class CardSideOut(BaseModel):
    front: str
    back: str


class CardPreviewOut(BaseModel):
    """A card being written as it would be shown, every field sanitised HTML: one side pair per
    card it makes (a cloze makes one per gap number), its why and a drill's rubric lists."""

    sides: list[CardSideOut]
    why: str
    points: list[str]
    optional: list[str]
    red_flags: list[str]
