"""The practice tools of the P2K2 finance lessons: an income/expense log with a weekly summary, a savings-goal
calculator, a loan check and a small-business profit calculator. They work inside a lesson and at any time."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from sqlalchemy import select

from actions.replies import Reply, Request
from store.models import PracticeEntry

_UNITS = {"rb": 1_000, "ribu": 1_000, "k": 1_000, "jt": 1_000_000, "juta": 1_000_000}
_AMOUNT = re.compile(r"^(?:rp\.?)?(\d+(?:[.,]\d+)*)(rb|ribu|k|jt|juta)?$")
WANT_WORD = "keinginan"


def rupiah(amount: float) -> str:
    return f"{round(amount):,}".replace(",", ".")


def parse_amount(words: list[str]) -> tuple[int, list[str]] | None:
    """Reads an amount from the start of `words` ("15000", "15.000", "15rb", "1,5 juta", "Rp50.000");
    returns it with the words that follow."""
    if not words:
        return None
    match = _AMOUNT.match(words[0].lower())
    if match is None:
        return None
    number, unit = match.groups()
    rest = words[1:]
    if unit is None and rest and rest[0].lower() in _UNITS:
        unit, rest = rest[0].lower(), rest[1:]
    if unit is None:
        value = float(number.replace(".", "").replace(",", ""))
    else:
        value = float(number.replace(",", ".")) if number.count(",") + number.count(".") <= 1 else 0.0
        value *= _UNITS[unit]
    return (int(value), rest) if value > 0 else None


def _amounts(text: str, count: int) -> list[int] | None:
    values, words = [], text.split()
    for _ in range(count):
        parsed = parse_amount(words)
        if parsed is None:
            return None
        value, words = parsed
        values.append(value)
    return values


def log_entry(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    kind = request.entity("kind") or "keluar"
    parsed = parse_amount((request.entity("rest") or "").split())
    if parsed is None:
        return [Reply(texts.bad_amount.format(example="catat keluar 15000 beras"))]
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
                kind=texts.kind_in if kind == "masuk" else texts.kind_out,
                amount=rupiah(amount),
                label=label,
                want=texts.want_mark if is_want else "",
            )
        )
    ]


def weekly_summary(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    since = request.now - timedelta(days=7)
    entries = request.db.scalars(
        select(PracticeEntry).where(
            PracticeEntry.person_id == request.person.id,
            PracticeEntry.kind.in_(["masuk", "keluar"]),
            PracticeEntry.created_at >= since,
        )
    ).all()
    if not entries:
        return [Reply(texts.summary_empty)]
    income = sum(e.amount for e in entries if e.kind == "masuk")
    spent = sum(e.amount for e in entries if e.kind == "keluar")
    wants = sum(e.amount for e in entries if e.kind == "keluar" and e.is_want)
    text = texts.summary.format(
        income=rupiah(income),
        spent=rupiah(spent),
        needs=rupiah(spent - wants),
        wants=rupiah(wants),
        balance=("-Rp" if spent > income else "Rp") + rupiah(abs(income - spent)),
    )
    return [Reply(text + ("\n\n" + texts.overspent if spent > income else ""))]


def savings_goal(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    values = _amounts(request.entity("rest") or "", 2)
    if values is None:
        return [Reply(texts.bad_amount.format(example="tabungan 500000 10"))]
    target, weeks = values
    request.db.add(PracticeEntry(person_id=request.person.id, kind="tabungan", amount=target, data={"weeks": weeks}))
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
    values = _amounts(request.entity("rest") or "", 3)
    if values is None:
        return [Reply(texts.bad_amount.format(example="cek pinjaman 1000000 1300000 3"))]
    principal, total, months = values
    if total <= principal:
        return [Reply(texts.loan_invalid)]
    cost = total - principal
    request.db.add(
        PracticeEntry(
            person_id=request.person.id, kind="pinjaman", amount=principal, data={"total": total, "months": months}
        )
    )
    return [
        Reply(
            texts.loan.format(
                principal=rupiah(principal),
                total=rupiah(total),
                months=months,
                cost=rupiah(cost),
                percent=_percent(cost / principal),
                cost_per_month=rupiah(cost / months),
                monthly_percent=_percent(cost / principal / months),
                installment=rupiah(total / months),
            )
        )
    ]


def business(request: Request) -> list[Reply]:
    texts = request.content.strings.practice
    values = _amounts(request.entity("rest") or "", 4)
    if values is None:
        return [Reply(texts.bad_amount.format(example="hitung usaha 200000 2000 3000 50"))]
    capital, cost, price, items = values
    if price <= cost:
        return [Reply(texts.business_loss.format(price=rupiah(price), cost=rupiah(cost)))]
    per_day = (price - cost) * items
    request.db.add(
        PracticeEntry(
            person_id=request.person.id,
            kind="usaha",
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


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}".replace(".", ",")
