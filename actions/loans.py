"""The loan check's arithmetic: reading a loan the way a KPM types it, and what it really costs a month.

The true cost of a loan paid in instalments is its effective monthly rate: the rate m at which the instalments,
each discounted by (1 + m) to the power of its time in months, are together worth the money she really received
(the loan less what was deducted up front). This is the internal rate of return of the loan, the same method as an
annuity's rate (found here by bisection, since it has no closed form). The flat rate, cost ÷ amount ÷ months, is
always lower for an instalment loan: from the first instalment she holds less and less of the money, but pays for
all of it. Rp450.000 received, Rp30.000 a week 20 times: flat 7,2% a month, true 13,2%.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from actions.amounts import parse_amount, tokens
from content.schema import PracticeWords

# Months are calendar-average: a month is 365/12 days, a weekly instalment 7 days, a daily one 1 day (every day;
# a lender who skips Sundays makes the true cost a little lower than shown).
DAYS_PER_MONTH = 365 / 12
# Above 1000% a month the exact figure tells her nothing more: it is shown as "more than".
EXTREME_RATE = 10.0
MAX_PAYMENTS = 2_000
_COUNT_TOKEN = re.compile(r"^(?:x(\d+)|(\d+)x)$")
_PERCENT_TOKEN = re.compile(r"^(\d+(?:[.,]\d+)?)%$")


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


PERIOD_DAYS = {Period.DAILY: 1.0, Period.WEEKLY: 7.0, Period.MONTHLY: DAYS_PER_MONTH}


@dataclass(frozen=True)
class Loan:
    principal: int
    deduction: int
    total: float
    count: int
    # Instalments every `period`; None: the whole `total` paid at once after `duration` of `unit`s.
    period: Period | None
    duration: int = 0
    unit: Period = Period.MONTHLY

    @property
    def sound(self) -> bool:
        """Something was received, and more than that is paid back: only then is there a cost to work out."""
        return self.deduction < self.principal and self.total > self.received

    @property
    def received(self) -> int:
        return self.principal - self.deduction

    @property
    def payment(self) -> float:
        return self.total / self.count

    @property
    def cost(self) -> float:
        return self.total - self.received

    @property
    def days_between(self) -> float:
        return PERIOD_DAYS[self.period] if self.period else self.duration * PERIOD_DAYS[self.unit]

    @property
    def months(self) -> float:
        return self.count * self.days_between / DAYS_PER_MONTH

    def monthly_rate(self) -> float:
        """The effective monthly rate (see the module's docstring), capped at EXTREME_RATE."""
        step = self.days_between / DAYS_PER_MONTH

        def worth(rate: float) -> float:
            return sum(self.payment * math.exp(-k * step * math.log1p(rate)) for k in range(1, self.count + 1))

        if worth(EXTREME_RATE) > self.received:
            return EXTREME_RATE
        low, high = 0.0, EXTREME_RATE
        for _ in range(100):  # worth() falls as the rate rises; 100 halvings is far below a rupiah
            middle = (low + high) / 2
            low, high = (middle, high) if worth(middle) > self.received else (low, middle)
        return (low + high) / 2

    def flat_rate(self) -> float:
        return self.cost / self.received / self.months


@dataclass
class _Reading:
    principal: int | None = None
    deduction: float = 0.0
    instalment: int | None = None
    total: int | None = None
    count: int | None = None
    period: Period | None = None
    duration: tuple[int, Period] | None = None


def read_loan(text: str, words: PracticeWords) -> Loan | None:
    """Reads "1jt potong 50rb cicil 30rb per minggu 40 kali" (any order after the amount lent), a loan paid at once
    ("1000000 kembali 1200000 dalam 30 hari"), and the old form "1000000 1300000 3" (lent, paid back in all, monthly
    instalments); the grammar and its words are in content/strings.yml, `practice.words`. None: too little to go on.
    The loan read may still make no sense (deducted as much as lent; paid back no more than received): see `sound`."""
    return _loan(_read(tokens(text), words))


def _kind(word: str, words: PracticeWords) -> str | Period | None:
    for period in Period:
        if word in getattr(words, period.value):
            return period
    slots = ("instalment", "deduction", "total", "times", "percent")
    return next((name for name in slots if word in getattr(words, name)), None)


def _read(said: list[str], words: PracticeWords) -> _Reading:
    reading, slot, bare, i = _Reading(), None, [], 0
    while i < len(said):
        word, kind = said[i], _kind(said[i], words)
        count, percent = _COUNT_TOKEN.match(word), _PERCENT_TOKEN.match(word)
        if isinstance(kind, Period):
            reading.period, i = kind, i + 1
        elif kind in ("instalment", "deduction", "total"):
            slot, i = kind, i + 1
        elif count:
            reading.count, i = int(count[1] or count[2]), i + 1
        elif percent and slot == "deduction" and reading.principal:
            reading.deduction, slot, i = reading.principal * float(percent[1].replace(",", ".")) / 100, None, i + 1
        else:
            parsed = parse_amount(said[i:])
            if parsed is None:
                i += 1  # a word the grammar does not use ("per", "tiap", "selama")
                continue
            value, rest = parsed
            i = len(said) - len(rest)
            following = _kind(rest[0], words) if rest else None
            if reading.principal is None:
                reading.principal = value
            elif slot == "deduction" and following == "percent":
                reading.deduction, slot, i = reading.principal * value / 100, None, i + 1
            elif slot is not None:
                setattr(reading, slot, value)
                slot = None
            elif following == "times":
                reading.count, i = value, i + 1
            elif isinstance(following, Period) and rest[0] in words.duration_units:
                reading.duration, i = (value, following), i + 1
            else:
                bare.append(value)
    if reading.instalment is None and reading.total is None and bare:
        _bare_numbers(reading, bare)
    return reading


def _bare_numbers(reading: _Reading, bare: list[int]) -> None:
    """Numbers without a word before them: "30000 per minggu 40 kali" (the instalment), or the old three-number
    form's "1300000 3" (paid back in all, over that many months)."""
    if len(bare) == 1 and reading.count is not None:
        reading.instalment = bare[0]
    elif len(bare) == 2 and reading.count is None and reading.duration is None:
        reading.total, reading.count = bare
        reading.period = reading.period or Period.MONTHLY


def _loan(r: _Reading) -> Loan | None:
    if r.principal is None or (r.instalment is None and r.total is None):
        return None
    deduction = round(r.deduction)
    if r.instalment is None and r.total is not None and r.count is None and r.duration is not None:
        value, unit = r.duration
        return Loan(r.principal, deduction, r.total, 1, None, value, unit)  # paid at once at the end
    period = r.period or (r.duration[1] if r.duration else Period.MONTHLY)
    count = r.count
    if count is None and r.duration is not None:
        count = max(1, round(r.duration[0] * PERIOD_DAYS[r.duration[1]] / PERIOD_DAYS[period]))
    if count is None and r.instalment is not None and r.total is not None:
        count = max(1, round(r.total / r.instalment))
    if count is None or not 0 < count <= MAX_PAYMENTS:
        return None
    total = r.instalment * count if r.instalment is not None else r.total or 0
    return Loan(r.principal, deduction, total, count, period)
