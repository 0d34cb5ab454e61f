"""The ROI arithmetic (Phillips ROI Methodology), on plain values so every formula is tested
on hand-computed cases.

Phillips principles applied here (docs/insights.md lists them with their reasons):

- use the most conservative alternative: no improvement data means no benefit (a follow-up
  without hours saved counts zero, it is not imputed);
- adjust estimates for error: each claim is multiplied by the respondent's confidence;
- isolate the effect of the programme: each claim is multiplied by the share attributed to
  the session, and the isolation method is recorded with the study;
- extreme data items are excluded by a stated rule (more hours saved per month than a cap),
  and listed as excluded;
- only first-year benefits for short programmes: a monthly saving counts 12 times;
- costs are fully loaded: people's time at loaded hourly cost, preparation included;
- intangibles are listed, never converted to money.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FIRST_YEAR_MONTHS = 12
CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def benefit_cost_ratio(*, benefits: Decimal, costs: Decimal) -> Decimal | None:
    """BCR = benefits ÷ costs (None when there is no cost to divide by)."""
    if costs <= 0:
        return None
    return (benefits / costs).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def roi_percent(*, benefits: Decimal, costs: Decimal) -> Decimal | None:
    """ROI % = (benefits − costs) ÷ costs × 100 (None when there is no cost)."""
    if costs <= 0:
        return None
    return ((benefits - costs) / costs * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Claim:
    """One follow-up answer: hours saved per month thanks to a session."""

    source: str  # e.g. "follow-up response 123 (+90 days)"
    hours_saved_per_month: Decimal | None
    confidence: Decimal | None  # 0–1
    attribution: Decimal | None  # 0–1; None = the study's share
    unit_value: Decimal  # value of one hour (the respondent's loaded cost, or the study's)


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    value: Decimal
    counted: bool
    reason: str  # why it counts zero, if it does


def claim_value(*, claim: Claim, study_attribution: Decimal, cap: Decimal) -> ClaimResult:
    """First-year monetary value of one claim after the Phillips adjustments.

    value = hours/month × 12 × unit value × attribution share × confidence.
    """
    if claim.hours_saved_per_month is None or claim.hours_saved_per_month <= 0:
        return ClaimResult(claim, Decimal("0"), False, "no improvement reported")
    if claim.confidence is None:
        return ClaimResult(claim, Decimal("0"), False, "no confidence given")
    if claim.hours_saved_per_month > cap:
        return ClaimResult(
            claim, Decimal("0"), False, f"extreme value: more than {cap} hours a month"
        )
    attribution = claim.attribution if claim.attribution is not None else study_attribution
    value = (
        claim.hours_saved_per_month
        * FIRST_YEAR_MONTHS
        * claim.unit_value
        * attribution
        * claim.confidence
    )
    return ClaimResult(claim, money(value), True, "")


def claims_total(results: Iterable[ClaimResult]) -> Decimal:
    return money(sum((r.value for r in results if r.counted), Decimal("0")))


def training_avoided_value(*, price: Decimal, people: int) -> Decimal:
    return money(price * people)


def people_hours_cost(*, hours: Decimal, hourly_cost: Decimal) -> Decimal:
    return money(hours * hourly_cost)
