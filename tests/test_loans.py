"""The loan check's arithmetic and grammar: what a loan really costs a month, read the way a KPM types it."""

from __future__ import annotations

import pytest

from actions.loans import DAYS_PER_MONTH, Loan, Period, read_loan
from content.loader import Content


def annuity_payment(amount: float, rate: float, count: int) -> float:
    """The instalment that repays `amount` in `count` payments at `rate` per period (the textbook formula)."""
    return amount * rate / (1 - (1 + rate) ** -count)


def test_the_lessons_moneylender_costs_more_than_the_flat_method_says() -> None:
    # Lesson 2: Rp500.000 lent, Rp50.000 deducted, Rp30.000 a week 20 times.
    moneylender = Loan(500_000, 50_000, 600_000, 20, Period.WEEKLY)
    assert moneylender.received == 450_000 and moneylender.cost == 150_000
    assert moneylender.flat_rate() == pytest.approx(0.072, abs=0.001)
    assert moneylender.monthly_rate() == pytest.approx(0.13, abs=0.005)
    # The other offer, the same Rp600.000 paid back: under half the true cost, as the lesson says.
    other = Loan(500_000, 0, 600_000, 6, Period.MONTHLY)
    assert other.monthly_rate() == pytest.approx(0.055, abs=0.001)
    assert other.monthly_rate() < moneylender.monthly_rate() / 2


@pytest.mark.parametrize(("period", "rate"), [(Period.MONTHLY, 0.05), (Period.WEEKLY, 0.02), (Period.DAILY, 0.004)])
def test_the_rate_of_an_annuity_is_found_again(period: Period, rate: float) -> None:
    payment = annuity_payment(1_000_000, rate, 40)
    loan = Loan(1_000_000, 0, payment * 40, 40, period)
    periods_per_month = {Period.MONTHLY: 1, Period.WEEKLY: DAYS_PER_MONTH / 7, Period.DAILY: DAYS_PER_MONTH}[period]
    assert loan.monthly_rate() == pytest.approx((1 + rate) ** periods_per_month - 1, rel=1e-6)


def test_money_deducted_up_front_raises_the_true_cost() -> None:
    whole = Loan(1_000_000, 0, 1_200_000, 40, Period.WEEKLY)
    deducted = Loan(1_000_000, 50_000, 1_200_000, 40, Period.WEEKLY)
    assert deducted.received == 950_000
    assert deducted.monthly_rate() > whole.monthly_rate() + 0.005


def test_a_loan_paid_at_once_compounds_over_its_time() -> None:
    # A short online loan: Rp800.000 received, Rp1.200.000 due after 7 days.
    loan = Loan(1_000_000, 200_000, 1_200_000, 1, None, 7, Period.DAILY)
    assert loan.monthly_rate() == pytest.approx(1.5 ** (DAYS_PER_MONTH / 7) - 1, rel=1e-6)


@pytest.mark.parametrize(
    ("typed", "principal", "deduction", "payment", "count", "period"),
    [
        # The example in content/strings.yml, and the same loan typed in other ways.
        ("1000000 potong 50000 cicil 30000 per minggu 40 kali", 1_000_000, 50_000, 30_000, 40, Period.WEEKLY),
        ("1jt cicil 30rb/minggu x40 potongan 50rb", 1_000_000, 50_000, 30_000, 40, Period.WEEKLY),
        ("Rp1.000.000 angsuran 30.000 mingguan 40x biaya admin 50.000", 1_000_000, 50_000, 30_000, 40, Period.WEEKLY),
        ("1 juta potong 5% cicil 30 ribu seminggu selama 40 minggu", 1_000_000, 50_000, 30_000, 40, Period.WEEKLY),
        (
            "1000000 dipotong 5 persen setor 30000 tiap pekan kembali 1200000",
            1_000_000,
            50_000,
            30_000,
            40,
            Period.WEEKLY,
        ),
        # Daily and monthly instalments.
        ("500000 cicil 20000 harian 30 kali", 500_000, 0, 20_000, 30, Period.DAILY),
        ("500000 cicil 20000 per hari selama 30 hari", 500_000, 0, 20_000, 30, Period.DAILY),
        ("2jt cicilan 200rb perbulan 12 bulan", 2_000_000, 0, 200_000, 12, Period.MONTHLY),
        # Forgetting "cicil": a lone amount before the count is the instalment.
        ("500000 30000 seminggu 20 kali", 500_000, 0, 30_000, 20, Period.WEEKLY),
        # The old form: lent, paid back in all, over so many months, in monthly instalments.
        ("1000000 1300000 3", 1_000_000, 0, 1_300_000 / 3, 3, Period.MONTHLY),
    ],
)
def test_loans_as_kpm_type_them(
    content: Content, typed: str, principal: int, deduction: int, payment: float, count: int, period: Period
) -> None:
    loan = read_loan(typed, content.strings.practice.words)
    assert loan is not None
    assert (loan.principal, loan.deduction, loan.count, loan.period) == (principal, deduction, count, period)
    assert loan.payment == pytest.approx(payment)


def test_paid_back_at_once_when_no_instalment_is_named(content: Content) -> None:
    loan = read_loan("1000000 kembali 1200000 dalam 30 hari potong 10%", content.strings.practice.words)
    assert loan is not None and loan.period is None
    assert (loan.received, loan.total, loan.duration, loan.unit) == (900_000, 1_200_000, 30, Period.DAILY)


@pytest.mark.parametrize("typed", ["", "1000000", "1000000 cicil 30000", "pinjam banyak", "1000000 cicil 30000 0 kali"])
def test_too_little_to_go_on(content: Content, typed: str) -> None:
    assert read_loan(typed, content.strings.practice.words) is None


def test_a_loan_that_costs_nothing_or_deducts_everything_is_not_sound(content: Content) -> None:
    words = content.strings.practice.words
    free = read_loan("1000000 cicil 100000 10 kali", words)
    everything = read_loan("1000000 potong 1000000 cicil 100000 12 kali", words)
    assert free is not None and not free.sound
    assert everything is not None and not everything.sound
