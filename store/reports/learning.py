"""Belajar: per P2K2 lesson, how many families in view started it, reached its quiz, finished it, their mean quiz
score, and where those who stopped are standing.

"Stopped" means unfinished and untouched for `STALLED_AFTER`: someone in the middle of a lesson today has not
stopped."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import LessonStage
from store.models import LessonProgress, Person
from store.reports.scope import Scope
from store.workdays import as_utc

STALLED_AFTER = dt.timedelta(days=7)
# Stages in the order a lesson goes through them (the reflection comes between the steps and the quiz).
REFLECTION = "reflection"
ORDER = (LessonStage.STEPS, REFLECTION, LessonStage.QUIZ, LessonStage.PRACTICE, LessonStage.DONE)


@dataclass(frozen=True)
class Position:
    """Where in a lesson someone is: a stage, and the step or quiz question (from 1) within it."""

    stage: str
    number: int


@dataclass
class LessonFigures:
    lesson: str
    started: int = 0
    reached_quiz: int = 0
    finished: int = 0
    score_sum: int = 0
    scored: int = 0
    stopped_at: Counter[Position] = field(default_factory=Counter)

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    @property
    def most_stopped(self) -> tuple[Position, int] | None:
        if not self.stopped_at:
            return None
        return max(self.stopped_at.items(), key=lambda item: (item[1], -_rank(item[0])))


def _rank(position: Position) -> int:
    return ORDER.index(position.stage) * 100 + position.number if position.stage in ORDER else 10_000


def learning_report(db: Session, scope: Scope, lessons: list[str], now: dt.datetime) -> list[LessonFigures]:
    """Figures for each lesson id in `lessons` (content order); progress on unknown lessons is left out."""
    figures = {lesson: LessonFigures(lesson) for lesson in lessons}
    query = (
        select(
            LessonProgress.lesson,
            LessonProgress.stage,
            LessonProgress.step,
            LessonProgress.quiz_index,
            LessonProgress.quiz_score,
            LessonProgress.completed_at,
            LessonProgress.updated_at,
        )
        .join(Person, Person.id == LessonProgress.person_id)
        .where(scope.families(), LessonProgress.lesson.in_(lessons))
    )
    for row in db.execute(query):
        lesson = figures[row.lesson]
        lesson.started += 1
        finished = row.completed_at is not None or row.stage == LessonStage.DONE
        quiz_done = finished or row.stage == LessonStage.PRACTICE
        lesson.reached_quiz += quiz_done or row.stage == LessonStage.QUIZ
        lesson.finished += finished
        if quiz_done and row.stage in (LessonStage.PRACTICE, LessonStage.DONE):
            lesson.score_sum += row.quiz_score
            lesson.scored += 1
        if not finished and now - as_utc(row.updated_at) >= STALLED_AFTER:
            number = row.quiz_index + 1 if row.stage == LessonStage.QUIZ else row.step + 1
            lesson.stopped_at[
                Position(row.stage, number if row.stage in (LessonStage.STEPS, LessonStage.QUIZ) else 0)
            ] += 1
    return list(figures.values())
