"""The practice tools of the P2K2 finance lessons: an income/expense log summed up per month (the P2K2 homework is a
month of records), a savings-goal calculator, a loan check that shows the true monthly cost, a small-business
profit calculator, a PKH payment split over the months until the next one, and an average of irregular income.
They work inside a lesson and at any time."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select

from actions.amounts import all_amounts, leading_amounts, parse_amount, rupiah
from actions.loans import EXTREME_RATE, Loan, read_loan
from actions.replies import Reply, Request
from common.enums import PracticeKind
from reminders.wording import date_text
from store.groups import timezone_of
from store.models import PracticeEntry
from store.workdays import at, local

WANT_WORD = "keinginan"
# PKH pays four tahap a year (FACTS.md Appendix C): one tahap has to last three months, thirteen weeks.
TAHAP_MONTHS = 3
TAHAP_WEEKS = 13
# Two loans whose true monthly cost differs by less than this are "about the same".
SAME_RATE = 0.001


def log_entry(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    kind = PracticeKind((request.entity("kind") or PracticeKind.KELUAR).lower())
    parsed = parse_amount((request.entity("rest") or "").split())
    if parsed is None:
        return [Reply(texts.bad_amount.format(example=texts.examples.log))]
    amount, words = parsed
    is_want = bool(words) and words[-1].lower() == WANT_WORD
    label = " ".join(words[:-1] if is_want else words)[:120] or texts.no_label
    request.db.add(
        PracticeEntry(
            person_id=request.person.id, kind=kind, amount=amount, label=label, is_want=is_want, created_at=request.now
        )
    )
    return [
        Reply(
            texts.logged.format(
                kind=texts.kind_in if kind == PracticeKind.MASUK else texts.kind_out,
                amount=rupiah(amount),
                label=label,
                want=texts.want_mark if is_want else "",
            )
        )
    ]


def _month_asked(request: Request, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day to sum up: this month up to today, unless she named last month or a month by name
    (the latest one not in the future)."""
    asked = " ".join((request.entity("month") or "").lower().split())
    months = [name.lower() for name in request.content.strings.months]
    start = today.replace(day=1)
    if asked in request.content.strings.practice.words.last_month:
        start = (start - dt.timedelta(days=1)).replace(day=1)
    elif asked in months and months.index(asked) + 1 != today.month:
        number = months.index(asked) + 1
        start = dt.date(today.year - (number > today.month), number, 1)
    if start.month == today.month and start.year == today.year:
        return start, today
    next_month = (start + dt.timedelta(days=31)).replace(day=1)
    return start, next_month - dt.timedelta(days=1)


def monthly_summary(request: Request) -> list[Reply]:
    texts, content = request.content.strings.practice, request.content
    zone = timezone_of(request.db, request.person)
    today = local(request.now, zone).date()
    first, last = _month_asked(request, today)
    start, end = (at(day, dt.time.min, zone) for day in (first, last + dt.timedelta(1)))
    entries = request.db.scalars(
        select(PracticeEntry).where(
            PracticeEntry.person_id == request.person.id,
            PracticeEntry.kind.in_([PracticeKind.MASUK, PracticeKind.KELUAR]),
            PracticeEntry.created_at >= start,
            PracticeEntry.created_at < end,
        )
    ).all()
    span = {"first": f"{first.day} {content.strings.months[first.month - 1]}", "last": date_text(content, last)}
    if not entries:
        return [Reply(texts.summary_empty.format(**span))]
    income = sum(e.amount for e in entries if e.kind == PracticeKind.MASUK)
    spent = sum(e.amount for e in entries if e.kind == PracticeKind.KELUAR)
    wants = sum(e.amount for e in entries if e.kind == PracticeKind.KELUAR and e.is_want)
    text = texts.summary.format(
        **span,
        income=rupiah(income),
        spent=rupiah(spent),
        needs=rupiah(spent - wants),
        wants=rupiah(wants),
        balance=("-Rp" if spent > income else "Rp") + rupiah(abs(income - spent)),
        recorded=len({local(e.created_at, zone).date() for e in entries}),
        days=(last - first).days + 1,
    )
    notes = [texts.overspent] if spent > income else []
    notes += [texts.summary_this_month] if last == today else []
    return [Reply("\n\n".join([text, *notes]))]


def savings_goal(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    values = leading_amounts(request.entity("rest") or "", 2)
    if values is None:
        return [Reply(texts.bad_amount.format(example=texts.examples.savings))]
    target, weeks = values
    request.db.add(
        PracticeEntry(person_id=request.person.id, kind=PracticeKind.TABUNGAN, amount=target, data={"weeks": weeks})
    )
    per_week = math.ceil(target / weeks)
    return [
        Reply(
            texts.savings.format(
                target=rupiah(target), weeks=weeks, per_week=rupiah(per_week), per_day=rupiah(math.ceil(per_week / 7))
            )
        )
    ]


def loan_check(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    example = texts.examples.loan
    loan = read_loan(request.entity("rest") or "", texts.words)
    if loan is None:
        return [Reply(texts.loan_missing.format(example=example))]
    if loan.deduction >= loan.principal:
        deduction, principal = rupiah(loan.deduction), rupiah(loan.principal)
        return [Reply(texts.loan_bad_deduction.format(deduction=deduction, principal=principal, example=example))]
    if not loan.sound:
        total, received = rupiah(loan.total), rupiah(loan.received)
        return [Reply(texts.loan_invalid.format(total=total, received=received, example=example))]
    rate = loan.monthly_rate()
    previous = _previous_loan_rate(request)
    request.db.add(
        PracticeEntry(
            person_id=request.person.id,
            kind=PracticeKind.PINJAMAN,
            amount=loan.principal,
            data={
                "deduction": loan.deduction,
                "total": loan.total,
                "count": loan.count,
                "period": loan.period,
                "duration": loan.duration,
                "monthly_rate": rate,
            },
        )
    )
    return [Reply("\n".join(_loan_lines(request, loan, rate, previous)))]


def _previous_loan_rate(request: Request) -> float | None:
    """The true monthly cost of the loan she checked last, to compare two offers."""
    earlier = request.db.scalars(
        select(PracticeEntry)
        .where(PracticeEntry.person_id == request.person.id, PracticeEntry.kind == PracticeKind.PINJAMAN)
        .order_by(PracticeEntry.id.desc())
    ).first()
    rate = earlier.data.get("monthly_rate") if earlier is not None else None
    return float(rate) if isinstance(rate, int | float) else None


def _loan_lines(request: Request, loan: Loan, rate: float, previous: float | None) -> list[str]:
    texts = request.content.strings.practice
    principal, deduction, received = rupiah(loan.principal), rupiah(loan.deduction), rupiah(loan.received)
    lines = [
        texts.loan_received.format(principal=principal, deduction=deduction, received=received)
        if loan.deduction
        else texts.loan_received_whole.format(principal=principal)
    ]
    if loan.period is None:
        duration = f"{loan.duration} {getattr(texts.period_units, loan.unit)}"
        lines.append(texts.loan_lump.format(total=rupiah(loan.total), duration=duration))
    else:
        lines.append(
            texts.loan_instalments.format(
                instalment=rupiah(loan.payment),
                period=getattr(texts.period_names, loan.period),
                count=loan.count,
                months=_decimal(loan.months),
                total=rupiah(loan.total),
            )
        )
    lines.append(texts.loan_cost.format(cost=rupiah(loan.cost), percent=_percent(loan.cost / loan.received)))
    if rate >= EXTREME_RATE:
        lines.append(texts.loan_rate_extreme.format(rate=_percent(EXTREME_RATE)))
    else:
        lines.append(texts.loan_rate.format(rate=_percent(rate), per_100k=rupiah(round(rate * 100_000, -2))))
    if loan.count > 1 and loan.flat_rate() < rate:
        lines.append(texts.loan_flat.format(flat=_percent(loan.flat_rate())))
    lines.append("")
    if previous is None:
        lines.append(texts.loan_compare_hint)
    else:
        same, cheaper = abs(rate - previous) < SAME_RATE, rate < previous
        template = texts.loan_same if same else texts.loan_cheaper if cheaper else texts.loan_dearer
        lines.append(template.format(previous=_percent(previous)))
    lines.append(texts.loan_advice)
    return lines


def business(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    values = leading_amounts(request.entity("rest") or "", 4)
    if values is None:
        return [Reply(texts.bad_amount.format(example=texts.examples.business))]
    capital, cost, price, items = values
    if price <= cost:
        return [Reply(texts.business_loss.format(price=rupiah(price), cost=rupiah(cost)))]
    per_day = (price - cost) * items
    request.db.add(
        PracticeEntry(
            person_id=request.person.id,
            kind=PracticeKind.USAHA,
            amount=capital,
            data={"cost": cost, "price": price, "items": items},
        )
    )
    return [
        Reply(
            texts.business.format(
                capital=rupiah(capital),
                cost=rupiah(cost),
                price=rupiah(price),
                items=items,
                margin=rupiah(price - cost),
                per_day=rupiah(per_day),
                days=math.ceil(capital / per_day),
            )
        )
    ]


def tahap_plan(request: Request) -> list[Reply]:
    """One PKH payment spread over the three months until the next."""
    texts = request.content.strings.practice
    values = leading_amounts(request.entity("rest") or "", 1)
    if values is None:
        return [Reply(texts.bad_amount.format(example=texts.examples.tahap))]
    amount = values[0]
    return [
        Reply(
            texts.tahap.format(
                amount=rupiah(amount),
                months=TAHAP_MONTHS,
                per_month=rupiah(math.floor(amount / TAHAP_MONTHS)),
                per_week=rupiah(math.floor(amount / TAHAP_WEEKS / 100) * 100),
                weeks=TAHAP_WEEKS,
            )
        )
    ]


def income_average(request: Request) -> list[Reply]:
    """Irregular income: its average, and the lean figure to plan needs on."""
    texts = request.content.strings.practice
    values = all_amounts(request.entity("rest") or "")
    if len(values) < 2:
        return [Reply(texts.average_too_few.format(example=texts.examples.average))]
    total = sum(values)
    return [
        Reply(
            texts.average.format(
                count=len(values),
                total=rupiah(total),
                average=rupiah(total / len(values)),
                lowest=rupiah(min(values)),
                highest=rupiah(max(values)),
            )
        )
    ]


def _percent(fraction: float) -> str:
    return _decimal(fraction * 100)


def _decimal(number: float) -> str:
    """One decimal with a comma, as Indonesians write it ("13,2"); whole numbers without (",0" reads oddly)."""
    text = f"{number:.1f}"
    return text[:-2] if text.endswith(".0") else text.replace(".", ",")
