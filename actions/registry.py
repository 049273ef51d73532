"""Which action answers which intent, and which form takes a message while it is in progress."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from actions import (
    broadcasts,
    complaints_handling,
    complaints_intake,
    complaints_status,
    core,
    dashboard,
    forms,
    groups,
    knowledge,
    learning,
    practice,
    privacy,
    questions,
    schedule,
    subscriptions,
)
from actions.replies import Action, Reply, Request

ACTIONS: dict[str, Action] = {
    "greet": core.greet,
    "goodbye": core.goodbye,
    "thanks": core.thanks,
    "help": core.help_menu,
    "bot_challenge": core.bot_challenge,
    "out_of_scope": core.out_of_scope,
    "nlu_fallback": core.fallback,
    "affirm": core.affirm,
    "deny": core.deny,
    "stop": subscriptions.stop,
    "restart": subscriptions.restart,
    "erase_data": privacy.start_erase,
    "ask_rights": knowledge.answer,
    "ask_obligations": knowledge.answer,
    "ask_sanctions": knowledge.answer,
    "ask_components": knowledge.answer,
    "ask_amount": knowledge.answer,
    "ask_disbursement": knowledge.answer,
    "ask_complementary": knowledge.answer,
    "ask_graduation": knowledge.answer,
    "ask_p2k2": knowledge.answer,
    "ask_card": knowledge.answer,
    "ask_data": knowledge.answer,
    "ask_safety": knowledge.answer,
    "ask_channels": knowledge.answer,
    "ask_personal": knowledge.answer,
    "ask_pendamping": knowledge.answer,
    knowledge.FEEDBACK_INTENT: knowledge.feedback,
    "show_sources": knowledge.sources,
    "talk_to_human": questions.talk_to_human,
    # A question sent to a person (issue 9): the KPM sends it, staff list and answer them.
    "send_question": questions.send_question,
    "question_inbox": questions.inbox,
    "question_answer": questions.answer,
    "question_close": questions.close,
    "learn_module": learning.learn,
    "practice_log": practice.log_entry,
    "practice_summary": practice.monthly_summary,
    "practice_savings": practice.savings_goal,
    "practice_loan": practice.loan_check,
    "practice_business": practice.business,
    "practice_tahap": practice.tahap_plan,
    "practice_average": practice.income_average,
    "file_complaint": complaints_intake.file_complaint,
    "complaint_status": complaints_status.status,
    "complaint_confirm": complaints_status.confirm,
    "complaint_reopen": complaints_status.reopen,
    # Handling, for pendamping, koordinator and Dinas Sosial staff (buttons, and /aduan).
    "complaint_inbox": complaints_handling.inbox,
    "complaint_open": complaints_handling.open_case,
    "complaint_accept": complaints_handling.accept,
    "complaint_reply": complaints_handling.reply,
    "complaint_resolve": complaints_handling.resolve,
    "complaint_reassign": complaints_handling.reassign,
    "ask_meeting": groups.ask_meeting,
    # Groups (payload and typed commands only): joining, answering a reminder, the leaders' tools.
    "join_group": groups.join,
    "meeting_reply": groups.meeting_reply,
    "set_meeting": schedule.start,
    "broadcast": broadcasts.start,
    "broadcast_status": broadcasts.status,
    "broadcast_cancel": broadcasts.cancel,
    # The staff dashboard: a one-time sign-in link, and signing out everywhere.
    "dashboard_link": dashboard.sign_in_link,
    "dashboard_sign_out": dashboard.sign_out,
}

# The forms (actions/forms.py): while one is in progress it gets each message first.
FORMS: dict[str, forms.Form[Any]] = {
    form.name: form
    for form in (
        privacy.ERASE,
        learning.LESSON,
        complaints_intake.INTAKE,
        complaints_handling.NOTE,
        schedule.SCHEDULE,
        broadcasts.BROADCAST,
        questions.QUESTION,
        questions.ANSWER,
    )
}

# Asked before the action of a message the NLU understood: replies that take its place, or None. A question a
# person is answering for her right now is not answered by the assistant too.
HELD_BACK: Callable[[Request], list[Reply] | None] = questions.held_back

# Typed words that mean one thing whatever the NLU thinks (checked on the whole message, case-insensitive).
COMMANDS: dict[str, str] = {
    "hapus data": "erase_data",
    "berhenti": "stop",
    "stop": "stop",
    "mulai": "restart",
    "menu": "help",
    # The full citations of the last answer.
    "sumber": "show_sources",
    "/start": "greet",
    "lanjut belajar": "learn_module",
    "/aduan": "complaint_inbox",
    # Answers to "is your complaint solved?" typed instead of pressed: about the latest resolved complaint.
    "sudah beres": "complaint_confirm",
    "belum beres": "complaint_reopen",
    "/jadwal": "set_meeting",
    "atur jadwal": "set_meeting",
    "/siaran": "broadcast",
    "kirim pengumuman": "broadcast",
    "status siaran": "broadcast_status",
    "batal siaran": "broadcast_cancel",
    "hentikan siaran": "broadcast_cancel",
    "dasbor": "dashboard_link",
    "/dasbor": "dashboard_link",
    "keluar dasbor": "dashboard_sign_out",
    "pertanyaan": "question_inbox",
    "/pertanyaan": "question_inbox",
}

_ANSWER = r"^(?P<answer>hadir|(?:tidak|tak|gak|ga|nggak)\s+(?:bisa\s+)?hadir)"

# Typed tools with arguments (the practice tools of the lessons); named groups become entities. They work at any
# time and leave a lesson in progress open.
TEXT_COMMANDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^catat\s+(?P<kind>masuk|keluar)\b(?P<rest>.*)$", re.IGNORECASE), "practice_log"),
    (re.compile(r"^tabungan\s+(?P<rest>.+)$", re.IGNORECASE), "practice_savings"),
    # "ringkasan" is this month; "ringkasan bulan lalu" or "ringkasan mei" another (words in content/strings.yml).
    (re.compile(r"^ringkasan\b(?P<month>.*)$", re.IGNORECASE), "practice_summary"),
    # With nothing after it, the loan check says what it needs.
    (re.compile(r"^cek\s+pinjaman\b(?P<rest>.*)$", re.IGNORECASE), "practice_loan"),
    (re.compile(r"^hitung\s+usaha\s+(?P<rest>.+)$", re.IGNORECASE), "practice_business"),
    (re.compile(r"^(?:bagi|rencana)\s+tahap\b(?P<rest>.*)$", re.IGNORECASE), "practice_tahap"),
    (re.compile(r"^rata[\s-]*rata\b(?P<rest>.*)$", re.IGNORECASE), "practice_average"),
    # A ticket on its own or after "cek": the status, whatever the NLU would say.
    (re.compile(r"^(?:cek\s+|status\s+)?(?P<ticket>adu[- ]?[2-9a-hj-np-z]{6})\W*$", re.IGNORECASE), "complaint_status"),
    # A Telegram invite link (t.me/<bot>?start=CODE) arrives as "/start CODE"; WhatsApp users type GABUNG CODE.
    (re.compile(r"^/start\s+(?P<code>[A-Za-z0-9_-]{1,32})$", re.IGNORECASE), "join_group"),
    (re.compile(r"^gabung\s+(?P<code>\S{1,32})$", re.IGNORECASE), "join_group"),
    # "hadir" typed after a reminder, or a reminder's button: "hadir 12 2026-12-08" (meeting and date).
    (
        re.compile(_ANSWER + r"(?:\s+(?P<meeting>\d{1,12})\s+(?P<occurrence>\d{4}-\d{2}-\d{2}))?[.!]?$", re.I),
        "meeting_reply",
    ),
]
