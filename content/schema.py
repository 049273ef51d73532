"""The shape of everything in content/, checked when it is loaded (at start-up and in `make test`)."""

from __future__ import annotations

import datetime as dt
import string
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from common.enums import Role, SourceBasis

# One screen on a small phone; WhatsApp interactive bodies stop at 1024 characters.
ANSWER_LIMIT = 600
# The longest text any channel accepts in one message (Telegram 4096, WhatsApp text 4096).
MESSAGE_LIMIT = 4096
# WhatsApp reply buttons: 20 characters.
BUTTON_LIMIT = 20

Label = Annotated[str, StringConstraints(min_length=1, max_length=BUTTON_LIMIT)]
Message = Annotated[str, StringConstraints(min_length=1, max_length=MESSAGE_LIMIT)]
Answer = Annotated[str, StringConstraints(min_length=1, max_length=ANSWER_LIMIT)]
TopicId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class MenuItem(Strict):
    title: Label
    payload: str = Field(pattern=r"^/[a-z_]+(\{.*\})?$")


class BotCommand(Strict):
    """A Telegram commands-menu entry: /command, its description, and the payload it sends to the dialogue."""

    command: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    description: Annotated[str, StringConstraints(min_length=3, max_length=256)]
    payload: str = Field(pattern=r"^/[a-z_]+(\{.*\})?$")


class Texts(Strict):
    """A group of UI strings. A missing or misspelt key fails the load, and so does a placeholder the code does
    not fill (each class lists what each of its strings may use)."""

    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {}

    @model_validator(mode="after")
    def _placeholders_known(self) -> Texts:
        for key, value in self:
            unknown = placeholders(value) - self.PLACEHOLDERS.get(key, set()) if isinstance(value, str) else set()
            if unknown:
                raise ValueError(f"{key}: unknown placeholder(s) {sorted(unknown)}")
        return self


class LessonTexts(Texts):
    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "resume_offer": {"title"},
        "module_line": {"title", "summary"},
        "module_sessions_intro": {"title"},
        "session_line": {"number", "title", "summary"},
        "start": {"number", "title", "summary"},
        "step_header": {"step", "total"},
        "quiz_header": {"number", "total"},
        "quiz_right": {"feedback"},
        "quiz_wrong": {"feedback"},
        "quiz_done": {"score", "total"},
        "finished": {"title", "score", "total"},
    }

    catalogue_intro: Message
    resume_offer: Message
    resume_button: Label
    other_modules_button: Label
    other_modules: Message
    module_line: Message
    module_sessions_intro: Message
    session_line: Message
    start: Message
    step_header: Message
    next_button: Label
    repeat_button: Label
    back_button: Label
    menu_button: Label
    reflection_header: Message
    reflection_hint: Message
    reflection_thanks: Message
    quiz_header: Message
    quiz_pick: Message
    quiz_right: Message
    quiz_wrong: Message
    quiz_done: Message
    practice_header: Message
    finish_button: Label
    finished: Message
    not_understood: Message


class PracticeExamples(Strict):
    """What each practice tool's command looks like, shown when what she typed could not be read."""

    log: Message
    savings: Message
    loan: Message
    business: Message
    tahap: Message
    average: Message


Words = tuple[Annotated[str, StringConstraints(min_length=1, pattern=r"^[a-z%]+$")], ...]


class PracticeWords(Strict):
    """The words the practice tools read, lower case: the loan check's vocabulary (single words) and the phrases
    that pick a month for the log summary."""

    instalment: Words = Field(min_length=1)
    deduction: Words = Field(min_length=1)
    total: Words = Field(min_length=1)
    times: Words = Field(min_length=1)
    percent: Words = Field(min_length=1)
    daily: Words = Field(min_length=1)
    weekly: Words = Field(min_length=1)
    monthly: Words = Field(min_length=1)
    # Period words that, after a number, say how long ("20 minggu"); the others say how often ("30000 seminggu").
    duration_units: Words = Field(min_length=1)
    last_month: tuple[Annotated[str, StringConstraints(min_length=1, pattern=r"^[a-z ]+$")], ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_word_means_one_thing(self) -> PracticeWords:
        seen: dict[str, str] = {}
        for name, words in self:
            if name == "duration_units":
                periods = {*self.daily, *self.weekly, *self.monthly}
                if not set(words) <= periods:
                    raise ValueError(f"duration_units {sorted(set(words) - periods)} are in no period list")
                continue
            if name == "last_month":
                continue
            for word in words:
                if word in seen:
                    raise ValueError(f"{word!r} is in both {seen[word]} and {name}")
                seen[word] = name
        return self


class PeriodNames(Strict):
    daily: Message
    weekly: Message
    monthly: Message


class PracticeTexts(Texts):
    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "bad_amount": {"example"},
        "logged": {"kind", "amount", "label", "want"},
        "summary": {"first", "last", "income", "spent", "needs", "wants", "balance", "recorded", "days"},
        "summary_empty": {"first", "last"},
        "savings": {"target", "weeks", "per_week", "per_day"},
        "loan_received": {"principal", "deduction", "received"},
        "loan_received_whole": {"principal"},
        "loan_instalments": {"instalment", "period", "count", "months", "total"},
        "loan_lump": {"total", "duration"},
        "loan_cost": {"cost", "percent"},
        "loan_rate": {"rate", "per_100k"},
        "loan_rate_extreme": {"rate"},
        "loan_flat": {"flat"},
        "loan_cheaper": {"previous"},
        "loan_dearer": {"previous"},
        "loan_same": {"previous"},
        "loan_missing": {"example"},
        "loan_invalid": {"total", "received", "example"},
        "loan_bad_deduction": {"deduction", "principal", "example"},
        "tahap": {"amount", "months", "per_month", "per_week", "weeks"},
        "average": {"count", "total", "average", "lowest", "highest"},
        "average_too_few": {"example"},
        "business": {"capital", "cost", "price", "items", "margin", "per_day", "days"},
        "business_loss": {"price", "cost"},
    }

    examples: PracticeExamples
    words: PracticeWords
    period_names: PeriodNames
    # "3 bulan", "30 hari": the unit after a number, for a loan paid at once.
    period_units: PeriodNames
    bad_amount: Message
    logged: Message
    kind_in: str
    kind_out: str
    want_mark: str
    no_label: str
    summary: Message
    summary_this_month: Message
    summary_empty: Message
    overspent: Message
    savings: Message
    loan_received: Message
    loan_received_whole: Message
    loan_instalments: Message
    loan_lump: Message
    loan_cost: Message
    loan_rate: Message
    loan_rate_extreme: Message
    loan_flat: Message
    loan_cheaper: Message
    loan_dearer: Message
    loan_same: Message
    loan_compare_hint: Message
    loan_advice: Message
    loan_missing: Message
    loan_invalid: Message
    loan_bad_deduction: Message
    tahap: Message
    average: Message
    average_too_few: Message
    business: Message
    business_loss: Message


class GroupTexts(Texts):
    """Joining a group, and the time words shared by meetings, reminders and broadcasts."""

    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "join_done": {"group"},
        "join_already": {"group"},
        "join_unknown": {"code"},
        "date": {"weekday", "day", "month", "year"},
        "time": {"time", "zone"},
    }

    join_done: Message
    join_already: Message
    join_unknown: Message
    # "Selasa, 8 Desember 2026" and "09.00 WIB"
    date: Message
    time: Message
    weekdays: tuple[str, ...] = Field(min_length=7, max_length=7)


class MeetingTexts(Texts):
    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "next_line": {"group", "date", "time", "place"},
        "topic_line": {"topic"},
        "replies_line": {"yes", "no", "unknown"},
        "rule_monthly": {"weekday", "week", "time"},
        "rule_monthly_last": {"weekday", "time"},
        "rule_biweekly": {"weekday", "time", "date"},
        "rule_weekly": {"weekday", "time"},
        "rule_once": {"date", "time"},
        "pick_group": set(),
        "group_schedule": {"group"},
        "schedule_line": {"number", "rule", "place"},
        "ask_when_kind": {"example"},
        "confirm": {"group", "rule", "place", "topic"},
        "saved": {"next"},
        "cancelled": {"group", "rule"},
        "cancelled_notice": {"group", "rule"},
        "change_button": {"number"},
        "cancel_meeting_button": {"number"},
        "reminder": {"group", "day", "time", "place"},
        "tomorrow": {"date"},
    }

    header: Message
    next_line: Message
    topic_line: Message
    replies_line: Message
    none: Message
    no_group: Message
    rule_monthly: Message
    rule_monthly_last: Message
    rule_biweekly: Message
    rule_weekly: Message
    rule_once: Message
    week_words: tuple[str, ...] = Field(min_length=5, max_length=5)
    not_allowed: Message
    pick_group: Message
    group_schedule: Message
    schedule_line: Message
    no_schedule: Message
    new_button: Label
    change_button: Label
    cancel_meeting_button: Label
    ask_when: Message
    ask_when_kind: Message
    monthly_button: Label
    biweekly_button: Label
    weekly_button: Label
    once_button: Label
    monthly_example: Message
    biweekly_example: Message
    weekly_example: Message
    once_example: Message
    bad_when: Message
    in_the_past: Message
    ask_place: Message
    keep_button: Label
    ask_topic: Message
    skip_button: Label
    no_topic: Message
    confirm: Message
    save_button: Label
    discard_button: Label
    saved: Message
    discarded: Message
    cancelled: Message
    cancelled_notice: Message
    reminder: Message
    today: Message
    tomorrow: Message
    yes_button: Label
    no_button: Label
    reply_yes: Message
    reply_no: Message
    reply_gone: Message


class BroadcastTexts(Texts):
    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "all_button": {"count"},
        "ask_text": {"groups"},
        "too_long": {"limit"},
        "preview": {"text", "recipients", "groups"},
        "unreachable": {"count"},
        "opted_out": {"count"},
        "nobody": {"groups"},
        "started": {"recipients"},
        "progress": {"number", "sent", "total"},
        "report": {"number", "sent", "failed", "blocked", "unreachable", "opted_out", "cancelled"},
        "cancelled": {"number", "cancelled"},
        "notice": {"sender", "groups", "text"},
    }

    not_allowed: Message
    pick_group: Message
    all_button: Label
    ask_text: Message
    too_long: Message
    preview: Message
    unreachable: Message
    opted_out: Message
    send_button: Label
    edit_button: Label
    discard_button: Label
    nobody: Message
    discarded: Message
    started: Message
    progress: Message
    report: Message
    none_sent: Message
    not_running: Message
    cancelled: Message
    cancel_button: Label
    status_button: Label
    notice: Message
    default_sender: Message


class CatalogueTexts(Texts):
    """Around a catalogue answer: its source line, its buttons, SUMBER, feedback, and the honest "I don't know"."""

    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "source_line": {"sources"},
        "sources_header": {"title"},
        "source_full": {"short", "full", "basis"},
    }

    source_line: Message
    complaint_button: Label
    helpful_button: Label
    unhelpful_button: Label
    feedback_thanks: Message
    unknown: Message
    ask_pendamping_button: Label
    menu_button: Label
    pick_topic: Message
    sources_header: Message
    source_full: Message
    sources_none: Message
    # How each kind of source is described on SUMBER (content/sources.yml `basis`).
    basis: dict[SourceBasis, Message]
    # The topic a bare intent button answers (the main menu's "Hak peserta" sends /ask_rights); an intent not listed
    # here lists its questions instead.
    overviews: dict[str, TopicId]
    # The topic "Hubungi pendamping" answers (where to reach a person), after her pendamping's name if known.
    human_topic: TopicId
    # Words that make a message a question (lower case): a question nothing answers gets the honest "I don't
    # know" and the way to the pendamping; anything else the usual "not understood".
    question_words: Words = Field(min_length=1)

    @field_validator("basis")
    @classmethod
    def _every_basis(cls, basis: dict[SourceBasis, str]) -> dict[SourceBasis, str]:
        if set(basis) != set(SourceBasis):
            raise ValueError(f"basis needs exactly {sorted(SourceBasis)}")
        return basis


class QuestionTexts(Texts):
    """A question sent to a person (issue 9): the KPM's side, the staff's `/pertanyaan`, the answer and reminders."""

    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "who_pendamping": {"name"},
        "who_koordinator": {"name"},
        "offer": {"who"},
        "offer_last": {"who", "question"},
        "ask_text": {"who"},
        "sent": {"who", "question"},
        "already_sent": {"who"},
        "in_hand": {"who"},
        "answer": {"who", "question", "answer"},
        "new_question": {"name", "question"},
        "inbox_intro": {"count"},
        "inbox_line": {"number", "mark", "name", "age", "question"},
        "inbox_more": {"count"},
        "age_days": {"days"},
        "claimed_mark": {"name"},
        "answer_button": {"number"},
        "ask_answer": {"name", "question"},
        "taken": {"name"},
        "answer_sent": {"name"},
        "answer_kept": {"name"},
        "reminder": {"name", "date", "question"},
        "closed_notice": {"who", "question"},
        "closed": {"name"},
    }

    # Who answers, as the KPM reads it.
    who_pendamping: Message
    who_koordinator: Message
    who_office: Message
    send_button: Label
    send_last_button: Label
    cancel_button: Label
    offer: Message
    offer_last: Message
    ask_text: Message
    cancelled: Message
    sent: Message
    already_sent: Message
    in_hand: Message
    answer: Message
    # To staff. A KPM whose name is not on file is called `no_name`.
    no_name: Message
    new_question: Message
    staff_only: Message
    inbox_empty: Message
    inbox_intro: Message
    inbox_line: Message
    inbox_more: Message
    overdue_mark: str
    age_today: Message
    age_days: Message
    claimed_mark: Message
    answer_button: Label
    inbox_button: Label
    ask_answer: Message
    taken: Message
    gone: Message
    answer_sent: Message
    answer_kept: Message
    answer_cancelled: Message
    # Closed without a written answer (answered in person, or not a question): she is told so.
    close_button: Label
    closed_notice: Message
    closed: Message
    reminder: Message


class Strings(Texts):
    """UI strings: everything the assistant says that is not a knowledge topic or a lesson."""

    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "menu_pick_unknown": {"number"},
        "source_line": {"sources", "checked"},
        "pendamping_known": {"name"},
    }

    greet: Message
    goodbye: Message
    thanks: Message
    help: Message
    bot_challenge: Message
    fallback: Message
    out_of_scope: Message
    empty_message: Message
    too_long: Message
    nlu_unavailable: Message
    not_available_yet: Message
    affirm_without_question: Message
    deny_without_question: Message
    stop: Message
    restart: Message
    internal_error: Message
    pendamping_known: Message
    privacy_notice: Message
    erase_confirm: Message
    erase_done: Message
    erase_done_directory: Message
    erase_cancelled: Message
    form_closed: Message
    menu_pick_unknown: Message
    options_intro: Message
    source_line: Message
    amount_note: Message
    main_menu: tuple[MenuItem, ...] = Field(min_length=1, max_length=10)
    months: tuple[str, ...] = Field(min_length=12, max_length=12)
    lesson_buttons: dict[str, Label]
    lesson: LessonTexts
    practice: PracticeTexts
    groups: GroupTexts
    meetings: MeetingTexts
    broadcasts: BroadcastTexts
    catalogue: CatalogueTexts
    questions: QuestionTexts
    # The menu for ketua and pendamping: their tools first, then the main menu's most used items.
    leader_menu: tuple[MenuItem, ...] = Field(min_length=1, max_length=10)
    unsupported_media: Message
    # WhatsApp list messages: the button that opens the list, and the list's section title.
    options_button: Label
    more_options: Label
    # Telegram's commands menu per role (kpm, ketua, pendamping, koordinator, admin); kpm is the default.
    telegram_commands: dict[str, tuple[BotCommand, ...]]

    @field_validator("telegram_commands")
    @classmethod
    def _kpm_menu_exists(cls, menus: dict[str, tuple[BotCommand, ...]]) -> dict[str, tuple[BotCommand, ...]]:
        if Role.KPM not in menus:
            raise ValueError("telegram_commands needs a `kpm` menu: it is everyone's default")
        return menus


class Sourced(Strict):
    """A factual entry names where it comes from and when it was last checked against that source."""

    sources: tuple[str, ...] = ()
    checked: dt.date | None = None
    # True when the fact was checked only against the team's fact sheet, not the official text.
    verify: bool = False


# A catalogue answer: one phone screen before its source line (issue 9).
CATALOGUE_ANSWER_LIMIT = 500
# What a KPM typed: one line, the way she typed it.
Example = Annotated[str, StringConstraints(min_length=2, max_length=400, pattern=r"^[^\n]+$")]


class Source(Strict):
    """One source, named by its key in content/sources.yml: the short line under an answer, the full citation
    shown on SUMBER, and what kind of source it is."""

    short: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    full: Annotated[str, StringConstraints(min_length=1, max_length=MESSAGE_LIMIT)]
    basis: SourceBasis


class SourcesFile(Strict):
    sources: dict[str, Source]


class Topic(Strict):
    """A question KPM ask, as the catalogue answers it: the examples the NLU learns it from (Rasa label
    `<intent>/<id>`), one short answer, its sources, and what she can do next."""

    id: TopicId
    # A retrieval intent (ask_disbursement, ask_card, ...): the intent classifier learns the parent intent.
    intent: str = Field(pattern=r"^ask_[a-z0-9_]+$")
    title: Label
    examples: tuple[Example, ...] = Field(min_length=5, max_length=15)
    answer: Annotated[str, StringConstraints(min_length=1, max_length=CATALOGUE_ANSWER_LIMIT)]
    sources: tuple[str, ...] = Field(min_length=1)
    # A complaint category (content/complaints.yml): the answer offers "Buat pengaduan" prefilled with it.
    complaint: str | None = None
    # Follow-up topics offered as buttons.
    options: tuple[TopicId, ...] = Field(default=(), max_length=3)
    # The question asks what the assistant cannot see (her balance, her village's pay date): said honestly.
    unknowable: bool = False


class CatalogueFile(Strict):
    topics: tuple[Topic, ...] = Field(min_length=1)


class Choice(Strict):
    label: Label
    correct: bool = False
    feedback: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class Question(Strict):
    question: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    choices: tuple[Choice, ...] = Field(min_length=2, max_length=4)

    @field_validator("choices")
    @classmethod
    def _one_correct(cls, choices: tuple[Choice, ...]) -> tuple[Choice, ...]:
        if sum(choice.correct for choice in choices) != 1:
            raise ValueError("a quiz question needs exactly one correct choice")
        return choices


class Session(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    number: int
    title: str
    summary: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    steps: tuple[Answer, ...] = Field(min_length=6, max_length=12)
    reflection: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    quiz: tuple[Question, ...] = Field(min_length=3, max_length=5)
    practice_intro: Answer


class LessonModule(Sourced):
    module: str
    title: str
    sessions: tuple[Session, ...] = Field(min_length=1)


class SessionSummary(Strict):
    number: int
    title: str
    summary: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CatalogueModule(Strict):
    id: str
    title: str
    summary: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    sessions: tuple[SessionSummary, ...] = Field(min_length=1)


class Catalogue(Sourced):
    modules: tuple[CatalogueModule, ...]
