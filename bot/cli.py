"""The `sahabat` command."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot import app, logs
from bot.channels import console
from bot.settings import Settings, SettingsError
from content.loader import ContentError, load_content
from content.schema import CATALOGUE_ANSWER_LIMIT
from nlu.client import NluClient
from nlu.rasa_env import RasaEnvironment
from store.db import Database


@contextmanager
def migrated_database(settings: Settings) -> Iterator[Database]:
    """The configured database, brought to the newest schema, closed when the command is done."""
    db = Database(settings.database_url)
    db.migrate()
    try:
        yield db
    finally:
        db.dispose()


def cmd_run(settings: Settings, _: argparse.Namespace) -> int:
    with app.services(settings) as services:
        asyncio.run(app.serve(services))
    return 0


def cmd_outbox_send(settings: Settings, _: argparse.Namespace) -> int:
    if not (settings.telegram or settings.whatsapp):
        print("no channel configured: set TELEGRAM_BOT_TOKEN and/or the WHATSAPP_* variables", file=sys.stderr)
        return 1
    content = load_content()
    with migrated_database(settings) as db:

        async def send() -> None:
            await app.send_outbox(settings, db, content, app.stop_on_signals())

        asyncio.run(send())
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    with app.services(settings) as services:
        console.converse(services.router, args.sender)
    return 0


def cmd_nlu_train(settings: Settings, args: argparse.Namespace) -> int:
    model = RasaEnvironment(settings.rasa_venv).train(args.config or settings.nlu_config, force=args.force)
    print(model)
    return 0


def cmd_nlu_parse(settings: Settings, _: argparse.Namespace) -> int:
    with app.nlu_service(settings) as url:
        client = NluClient(url)
        for line in sys.stdin:
            text = line.rstrip("\n")
            print(json.dumps(client.parse(text).as_json(), ensure_ascii=False), flush=True)
        client.close()
    return 0


def cmd_nlu_eval(settings: Settings, args: argparse.Namespace) -> int:
    from nlu.evaluation import CATALOGUE_HOLDOUT, catalogue_holdout, cross_validate, format_report

    rasa = RasaEnvironment(settings.rasa_venv)
    config = args.config or settings.nlu_config
    if not args.holdout_only:
        print(format_report(cross_validate(rasa, config, args.folds)))
    with app.nlu_service(settings) as url:
        client = NluClient(url)
        score = catalogue_holdout(client.parse, CATALOGUE_HOLDOUT)
        client.close()
    print(f"\ncatalogue held-out set ({CATALOGUE_HOLDOUT.name}), through the Rasa server:")
    print(score.format())
    return 0


def cmd_content_check(_: Settings, args: argparse.Namespace) -> int:
    try:
        content = load_content()
    except ContentError as error:
        print(error)
        return 1
    today = args.today or dt.datetime.now(dt.UTC).date()
    examples = sum(len(topic.examples) for topic in content.topics.values())
    print(
        f"strings: {len(type(content.strings).model_fields)} keys; catalogue: {len(content.topics)} topics, "
        f"{examples} examples, {len(content.sources)} sources; lessons: {len(content.sessions)}; catalogue modules: "
        f"{len(content.catalogue.modules) if content.catalogue else 0}; complaint categories: "
        f"{len(content.complaints.categories) if content.complaints else 0}"
    )
    longest = max((len(topic.answer) for topic in content.topics.values()), default=0)
    print(f"longest catalogue answer: {longest} characters (limit {CATALOGUE_ANSWER_LIMIT})")
    undocumented = content.undocumented()
    print(f"catalogue facts not checked against a document (no source of basis document): {len(undocumented)}")
    for start in range(0, len(undocumented), 6):
        print("  " + ", ".join(topic.id for topic in undocumented[start : start + 6]))
    stale = content.stale(today)
    print(f"checked more than 12 months ago: {len(stale)}")
    for file, entry, checked in stale:
        print(f"  {file}: {entry} (checked {checked})")
    to_verify = content.to_verify()
    print(f"stated from the fact sheet, to confirm against the official text: {len(to_verify)}")
    for file, entry in to_verify:
        print(f"  {file}: {entry}")
    return 0


def cmd_content_report(settings: Settings, args: argparse.Namespace) -> int:
    """What the catalogue should learn next: topics rated "not helpful", questions that reached no topic."""
    from nlu.client import FALLBACK_INTENT
    from store import catalogue

    content = load_content()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=args.days)
    intents = {*content.retrieval_intents, FALLBACK_INTENT, "out_of_scope"}
    with migrated_database(settings) as db, db.session() as session:
        votes = catalogue.votes(session, since)
        questions = catalogue.unanswered(session, since, intents, limit=args.limit)
    print(f"last {args.days} days, since {since:%Y-%m-%d}")
    print(f"\ntopics by 'tidak membantu' ({len(votes)} rated):")
    print(f"  {'tidak':>5} {'ya':>4}  topic")
    for vote in votes:
        title = content.topics[vote.topic].title if vote.topic in content.topics else "?"
        print(f"  {vote.unhelpful:>5} {vote.helpful:>4}  {vote.topic} ({title})")
    print(f"\nquestions that reached no topic ({len(questions)}, newest first, numbers masked):")
    for at, text in questions:
        print(f"  {at:%Y-%m-%d}  {' '.join(text.split())[:200]}")
    return 0


def cmd_admin_import(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from store.directory import DirectoryImportError, import_files

    with migrated_database(settings) as db:
        try:
            if args.dry_run:  # the same import, every change listed, then rolled back
                with Session(db.engine) as session:
                    summary = import_files(session, [Path(p) for p in args.files], dry_run=True)
                    session.rollback()
            else:
                with db.session() as session:
                    summary = import_files(session, [Path(p) for p in args.files])
        except DirectoryImportError as error:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            return 1
    print(summary)
    return 0


def cmd_complaints_export(settings: Settings, args: argparse.Namespace) -> int:
    from store.complaints_export import export_csv

    with migrated_database(settings) as db, db.session() as session:
        if args.output:
            with open(args.output, "w", newline="", encoding="utf-8") as out:
                export_csv(session, out)
        else:
            export_csv(session, sys.stdout)
    return 0


def cmd_complaints_escalate(settings: Settings, args: argparse.Namespace) -> int:
    from reminders.escalation import run_escalations

    content = load_content()
    with migrated_database(settings) as db, db.session() as session:
        now = args.now.astimezone(dt.UTC) if args.now else dt.datetime.now(dt.UTC)
        acted = run_escalations(session, content, now, app.reach_channels(settings))
    print(f"complaints reminded or escalated: {acted}")
    return 0


def cmd_questions_remind(settings: Settings, args: argparse.Namespace) -> int:
    from reminders.questions import run_question_reminders

    content = load_content()
    with migrated_database(settings) as db, db.session() as session:
        now = args.now.astimezone(dt.UTC) if args.now else dt.datetime.now(dt.UTC)
        written = run_question_reminders(session, content, now, app.reach_channels(settings))
    print(f"question reminders written: {written}")
    return 0


def cmd_admin_groups(settings: Settings, _: argparse.Namespace) -> int:
    from store import groups

    with migrated_database(settings) as db, db.session() as session:
        rows = groups.overview(session)
        print(f"{'kode':<8} {'jenis':<5} {'anggota':>7}  kelompok")
        for group, members in rows:
            print(f"{group.invite_code:<8} {group.kind:<5} {members:>7}  {group.name}")
        print(f"{len(rows)} groups")
    return 0


def cmd_admin_reach(settings: Settings, _: argparse.Namespace) -> int:
    """Who cannot be written to with this deployment's channels, and why: staff fix it by asking her to write once
    (an imported WhatsApp number), to unblock the assistant, or by adding her Telegram id or number."""
    from store import reach

    channels = app.reach_channels(settings)
    with migrated_database(settings) as db, db.session() as session:
        print(f"channels: {', '.join(sorted(channels))}")
        members = reach.unreachable_members(session, channels)
        for group, person, why in members:
            print(f"{group.invite_code:<8} {group.name:<24} {person.name or '-':<28} {why}")
        staff = reach.unreachable_staff(session, channels)
        for person, why in staff:
            print(f"{person.kode or '-':<8} {person.role:<24} {person.name or '-':<28} {why}")
        print(f"{len(members)} memberships and {len(staff)} staff cannot be reached")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sahabat", description="Sahabat KPM, the PKH assistant.")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="serve all configured channels").set_defaults(func=cmd_run)
    chat = commands.add_parser("chat", help="talk to the assistant in the terminal")
    chat.add_argument("--sender", default="console-user", help="who you are to the assistant")
    chat.set_defaults(func=cmd_chat)

    nlu = commands.add_parser("nlu", help="train, try and evaluate the NLU").add_subparsers(dest="nlu", required=True)
    train = nlu.add_parser("train", help="train the NLU model unless one for these inputs exists")
    train.add_argument("--config", type=Path)
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=cmd_nlu_train)
    nlu.add_parser("parse", help="one message per stdin line → one JSON object per line").set_defaults(
        func=cmd_nlu_parse
    )
    evaluate = nlu.add_parser("eval", help="cross-validation: per-intent precision/recall/F1, worst confusions")
    evaluate.add_argument("--config", type=Path)
    evaluate.add_argument("--folds", type=int, default=5)
    evaluate.add_argument("--holdout-only", action="store_true", help="skip cross-validation: the held-out set only")
    evaluate.set_defaults(func=cmd_nlu_eval)

    sending = commands.add_parser("outbox", help="the outbox").add_subparsers(dest="outbox", required=True)
    sending.add_parser("send", help="only drain the outbox of each configured channel").set_defaults(
        func=cmd_outbox_send
    )

    content = commands.add_parser("content", help="content tools").add_subparsers(dest="content", required=True)
    check = content.add_parser("check", help="validate content/ and list entries to re-check")
    check.add_argument("--today", type=dt.date.fromisoformat, help="date to judge staleness by (YYYY-MM-DD)")
    check.set_defaults(func=cmd_content_check)
    report = content.add_parser("report", help="topics rated not helpful, questions that reached no topic")
    report.add_argument("--days", type=int, default=30)
    report.add_argument("--limit", type=int, default=200, help="at most this many unanswered questions")
    report.set_defaults(func=cmd_content_report)

    admin = commands.add_parser("admin", help="administration").add_subparsers(dest="admin", required=True)
    importer = admin.add_parser("import", help="load pendamping.csv / anggota.csv (all rows or none)")
    importer.add_argument("files", nargs="+")
    importer.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    importer.set_defaults(func=cmd_admin_import)
    complaints = admin.add_parser("complaints", help="complaints: export, escalate now").add_subparsers(
        dest="complaints", required=True
    )
    export = complaints.add_parser("export", help="one row per complaint (no names, numbers or stories)")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(func=cmd_complaints_export)
    escalate = complaints.add_parser("escalate", help="send due reminders and move overdue complaints up a level")
    escalate.add_argument("--now", type=dt.datetime.fromisoformat, help="judge deadlines as of this ISO time")
    escalate.set_defaults(func=cmd_complaints_escalate)
    asked = admin.add_parser("questions", help="questions sent to staff: remind now").add_subparsers(
        dest="questions", required=True
    )
    remind = asked.add_parser("remind", help="remind the handlers of questions waiting over 2 working days")
    remind.add_argument("--now", type=dt.datetime.fromisoformat, help="judge deadlines as of this ISO time")
    remind.set_defaults(func=cmd_questions_remind)
    admin.add_parser("groups", help="list groups with their invite codes and member counts").set_defaults(
        func=cmd_admin_groups
    )
    admin.add_parser("reach", help="list members and staff nobody can write to here, and why").set_defaults(
        func=cmd_admin_reach
    )
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # In a terminal conversation, routine logs would drown the answers.
    logs.configure(logging.WARNING if args.command == "chat" else logging.INFO)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        # One line naming the variable, not a traceback: the person starting it fixes the environment.
        print(f"sahabat: configuration: {error}", file=sys.stderr)
        return 2
    return int(args.func(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
