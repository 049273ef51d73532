"""Which action answers which intent, and which form takes a message while it is in progress."""

from __future__ import annotations

import re
from collections.abc import Callable

from actions import (
    complaints_handling,
    complaints_intake,
    complaints_status,
    core,
    knowledge,
    learning,
    practice,
    privacy,
    subscriptions,
)
from actions.replies import Action, Reply, Request

# A form returns None for a message that is not for it: the form closes and the message is routed as usual.
FormAction = Callable[[Request], list[Reply] | None]

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
    "talk_to_human": knowledge.talk_to_human,
    "learn_module": learning.learn,
    "practice_log": practice.log_entry,
    "practice_summary": practice.weekly_summary,
    "practice_savings": practice.savings_goal,
    "practice_loan": practice.loan_check,
    "practice_business": practice.business,
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
    # Built in a later issue (meetings); until then an honest "not yet" with the menu.
    "ask_meeting": core.not_available_yet,
}

FORMS: dict[str, FormAction] = {
    privacy.ERASE_FORM: privacy.erase_form,
    learning.LESSON_FORM: learning.lesson_form,
    complaints_intake.COMPLAINT_FORM: complaints_intake.complaint_form,
    complaints_handling.NOTE_FORM: complaints_handling.note_form,
}

# Typed words that mean one thing whatever the NLU thinks (checked on the whole message, case-insensitive).
COMMANDS: dict[str, str] = {
    "hapus data": "erase_data",
    "berhenti": "stop",
    "stop": "stop",
    "mulai": "restart",
    "menu": "help",
    "/start": "greet",
    "ringkasan": "practice_summary",
    "lanjut belajar": "learn_module",
    "/aduan": "complaint_inbox",
    # Answers to "is your complaint solved?" typed instead of pressed: about the latest resolved complaint.
    "sudah beres": "complaint_confirm",
    "belum beres": "complaint_reopen",
}

# Typed tools with arguments (the practice tools of the lessons); named groups become entities. They work at any
# time and leave a lesson in progress open.
TEXT_COMMANDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^catat\s+(?P<kind>masuk|keluar)\b(?P<rest>.*)$", re.IGNORECASE), "practice_log"),
    (re.compile(r"^tabungan\s+(?P<rest>.+)$", re.IGNORECASE), "practice_savings"),
    (re.compile(r"^cek\s+pinjaman\s+(?P<rest>.+)$", re.IGNORECASE), "practice_loan"),
    (re.compile(r"^hitung\s+usaha\s+(?P<rest>.+)$", re.IGNORECASE), "practice_business"),
    # A ticket on its own or after "cek": the status, whatever the NLU would say.
    (re.compile(r"^(?:cek\s+|status\s+)?(?P<ticket>adu[- ]?[2-9a-hj-np-z]{6})\W*$", re.IGNORECASE), "complaint_status"),
]
