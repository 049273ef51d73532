"""P2K2 lessons, step by step: start or resume, steps, reflection, quiz with feedback, practice, finish.
Progress is stored per person (LessonProgress), so a lesson resumes where it stopped, also after a restart."""

from __future__ import annotations

import re
from typing import Literal

from sqlalchemy import select

from actions import forms
from actions.replies import Option, Reply, Request, menu_options
from common.enums import LessonStage
from common.messages import Payload
from content.schema import Session
from content.words_schema import plain
from store.models import LessonProgress

OTHER_MODULES = "lainnya"
_ANSWER = re.compile(r"^(?:jawab\s+)?([1-4a-d])$")


class LessonState(forms.FormState):
    """The lesson open; where she is in it is her LessonProgress, kept after the form closes."""

    step: Literal["lesson"] = "lesson"
    lesson: str
    # Wrong answers to the current quiz question: only a first try scores.
    attempts: int = 0


def _module_payload(module: str) -> str:
    return Payload.of("learn_module", module=module).render()


def _progress(request: Request, lesson: str) -> LessonProgress | None:
    return request.db.scalar(
        select(LessonProgress).where(LessonProgress.person_id == request.person.id, LessonProgress.lesson == lesson)
    )


def learn(request: Request) -> list[Reply]:
    """learn_module: a named lesson starts or resumes; otherwise the catalogue, offering to resume first."""
    content, texts = request.content, request.content.strings.lesson
    module = request.entity("module")
    if module in content.sessions:
        return start(request, content.sessions[module])
    if module == OTHER_MODULES or (content.catalogue and module in {m.id for m in content.catalogue.modules}):
        return _other_modules(request, module)
    options = [Option(content.strings.lesson_buttons[s.id], _module_payload(s.id)) for s in content.sessions.values()]
    options.append(Option(texts.other_modules_button, _module_payload(OTHER_MODULES)))
    unfinished = request.db.scalars(
        select(LessonProgress)
        .where(LessonProgress.person_id == request.person.id, LessonProgress.stage != LessonStage.DONE)
        .order_by(LessonProgress.updated_at.desc())
    ).first()
    if unfinished is not None and unfinished.lesson in content.sessions:
        session = content.sessions[unfinished.lesson]
        offer = texts.resume_offer.format(title=session.title)
        return [Reply(offer, (Option(texts.resume_button, _module_payload(session.id)), *options))]
    return [Reply(texts.catalogue_intro, tuple(options))]


def _other_modules(request: Request, module: str | None) -> list[Reply]:
    texts, catalogue = request.content.strings.lesson, request.content.catalogue
    if catalogue is None:
        return [Reply(request.content.strings.not_available_yet, menu_options(request.content.strings.main_menu))]
    chosen = next((m for m in catalogue.modules if m.id == module), None)
    if chosen is not None:
        lines = [texts.module_sessions_intro.format(title=chosen.title)]
        lines += [texts.session_line.format(number=s.number, title=s.title, summary=s.summary) for s in chosen.sessions]
        back = Option(texts.other_modules_button, _module_payload(OTHER_MODULES))
        return [Reply("\n".join(lines), (back, Option(texts.menu_button, "/help")))]
    lines = [texts.other_modules] + [
        texts.module_line.format(title=m.title, summary=m.summary) for m in catalogue.modules
    ]
    return [Reply("\n".join(lines), tuple(Option(m.title, _module_payload(m.id)) for m in catalogue.modules))]


def start(request: Request, session: Session) -> list[Reply]:
    texts = request.content.strings.lesson
    progress = _progress(request, session.id)
    forms.start(request, LESSON, LessonState(lesson=session.id))
    if progress is None:
        progress = LessonProgress(person_id=request.person.id, lesson=session.id, step=0, stage=LessonStage.STEPS)
        request.db.add(progress)
    elif progress.stage == LessonStage.DONE:
        progress.step, progress.stage, progress.quiz_index, progress.quiz_score = 0, LessonStage.STEPS, 0, 0
    else:
        return _show(request, session, progress)
    intro = texts.start.format(number=session.number, title=session.title, summary=session.summary)
    return [Reply(intro), *_show(request, session, progress)]


def _nav_options(request: Request) -> tuple[Option, ...]:
    t = request.content.strings.lesson
    return (
        Option(t.next_button, "lanjut"),
        Option(t.repeat_button, "ulang"),
        Option(t.back_button, "kembali"),
        Option(t.menu_button, "menu"),
    )


def _show(request: Request, session: Session, progress: LessonProgress) -> list[Reply]:
    """The screen for where the person is now."""
    texts = request.content.strings.lesson
    if progress.stage == LessonStage.STEPS:
        header = texts.step_header.format(step=progress.step + 1, total=len(session.steps))
        return [Reply(f"{header}\n\n{session.steps[progress.step]}", _nav_options(request))]
    if progress.stage == LessonStage.REFLECTION:
        body = f"{texts.reflection_header}\n{session.reflection}\n\n{texts.reflection_hint}"
        return [Reply(body, (Option(texts.next_button, "lanjut"), Option(texts.menu_button, "menu")))]
    if progress.stage == LessonStage.QUIZ:
        question = session.quiz[progress.quiz_index]
        header = texts.quiz_header.format(number=progress.quiz_index + 1, total=len(session.quiz))
        choices = tuple(Option(c.label, f"jawab {n}") for n, c in enumerate(question.choices, start=1))
        return [Reply(f"{header}\n{question.question}\n\n{texts.quiz_pick}", choices)]
    body = f"{texts.practice_header}\n{session.practice_intro}"
    return [Reply(body, (Option(texts.finish_button, "selesai"), Option(texts.menu_button, "menu")))]


def ask(request: Request, state: LessonState) -> list[Reply]:
    session = request.content.sessions.get(state.lesson)
    progress = _progress(request, session.id) if session else None
    return _show(request, session, progress) if session and progress else []


def lesson_form(request: Request, state: LessonState) -> list[Reply] | None:
    """Takes messages while a lesson is open; returns None for a message that is not about the lesson, which
    closes the form (progress stays) and lets the router answer it."""
    session = request.content.sessions.get(state.lesson)
    progress = _progress(request, session.id) if session else None
    if session is None or progress is None:
        return None
    word, words = plain(request.text), request.content.words
    if progress.stage == LessonStage.STEPS:
        if word in words.next | words.yes:
            progress.step += 1
            if progress.step == len(session.steps):
                progress.step, progress.stage = len(session.steps) - 1, LessonStage.REFLECTION
        elif word in words.back:
            progress.step = max(0, progress.step - 1)
        elif word not in words.repeat:
            return None
        return _show(request, session, progress)
    if progress.stage == LessonStage.REFLECTION:
        progress.stage, progress.quiz_index, progress.quiz_score = LessonStage.QUIZ, 0, 0
        state.attempts = 0
        thanks = [] if word in words.next | words.yes else [Reply(request.content.strings.lesson.reflection_thanks)]
        return [*thanks, *_show(request, session, progress)]
    if progress.stage == LessonStage.QUIZ:
        return _answer(request, state, session, progress, word)
    return _finish(request, session, progress) if word in words.finish else None


def _answer(request: Request, state: LessonState, session: Session, progress: LessonProgress, word: str) -> list[Reply]:
    texts = request.content.strings.lesson
    question = session.quiz[progress.quiz_index]
    match = _ANSWER.match(word)
    index = (int(match[1]) - 1 if match[1].isdigit() else "abcd".index(match[1])) if match else -1
    if not 0 <= index < len(question.choices):
        return _show(request, session, progress)
    choice = question.choices[index]
    if not choice.correct:
        state.attempts += 1
        return [Reply(texts.quiz_wrong.format(feedback=choice.feedback)), *_show(request, session, progress)]
    progress.quiz_score += state.attempts == 0
    progress.quiz_index += 1
    state.attempts = 0
    replies = [Reply(texts.quiz_right.format(feedback=choice.feedback))]
    if progress.quiz_index == len(session.quiz):
        progress.stage = LessonStage.PRACTICE
        replies.append(Reply(texts.quiz_done.format(score=progress.quiz_score, total=len(session.quiz))))
    return replies + _show(request, session, progress)


def _finish(request: Request, session: Session, progress: LessonProgress) -> list[Reply]:
    progress.stage, progress.completed_at = LessonStage.DONE, request.now
    forms.close(request)
    text = request.content.strings.lesson.finished.format(
        title=session.title, score=progress.quiz_score, total=len(session.quiz)
    )
    return [Reply(text, menu_options(request.content.strings.main_menu))]


# "batal" closes a lesson (her progress stays) and is answered as usual.
LESSON = forms.Form(forms.FormName.LESSON, LessonState, lesson_form, ask, reads_back=True)
