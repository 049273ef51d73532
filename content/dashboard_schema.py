"""The shape of content/dashboard.yml: the staff dashboard's words and the weekly digest."""

from __future__ import annotations

from typing import ClassVar

from content.schema import Message, Strict, Texts


class DashboardChat(Texts):
    """What the assistant says in chat about the dashboard, and the weekly digest."""

    PLACEHOLDERS: ClassVar[dict[str, set[str]]] = {
        "link": {"url", "minutes"},
        "digest": {"name", "overdue", "rate", "new", "meetings", "meeting_lines"},
        "digest_rate": {"percent", "met", "due"},
        "digest_meeting": {"group", "day", "time"},
        "digest_more_meetings": {"count"},
    }

    link: Message
    not_staff: Message
    logged_out: Message
    digest: Message
    digest_rate: Message
    digest_no_deadlines: Message
    digest_meeting: Message
    digest_more_meetings: Message


class DashboardFile(Strict):
    chat: DashboardChat
    # Page words by section and key, as the templates name them (`t.complaints.overdue`). A template asking for a
    # key that is not here fails to render (StrictUndefined), and every page is rendered by the tests.
    pages: dict[str, dict[str, str]]
