"""The ROI arithmetic (Phillips ROI Methodology), on plain values so every formula is tested
on hand-computed cases.

Phillips principles applied here (docs/insights.md lists them with their reasons):

- use the most conservative alternative: no improvement data means no benefit (a follow-up
  without hours saved counts zero, it is not imputed);
- adjust estimates for error: each claim is multiplied by the respondent's confidence;
- isolate the effect of the programme: each claim is multiplied by the share of the
  improvement attributed to the session — the participant's own estimate when the study
  isolates by participants' estimates (a claim without one counts zero, never 100 %), else
  the share the study's method found (control group, trend line, managers, experts); the
  method is recorded with the study;
- one value of an hour for every claim of a study: follow-up answers are anonymous, and a
  value per respondent (their unit's cost) would let whoever sets the costs weight, and so
  read, one person's answer;
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

    source: str  # e.g. "Follow-up after 90 days: Property-based testing"
    hours_saved_per_month: Decimal | None
    confidence: Decimal | None  # 0–1
    attribution: Decimal | None  # 0–1, the respondent's share; None = not answered


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    value: Decimal
    counted: bool
    reason: str  # why it counts zero, if it does


def claim_value(
    *, claim: Claim, hour_value: Decimal, study_attribution: Decimal | None, cap: Decimal
) -> ClaimResult:
    """First-year monetary value of one claim after the Phillips adjustments.

    value = hours/month × 12 × hour value × attribution share × confidence.

    ``hour_value`` is the same for every claim of a study. ``study_attribution`` is the share
    found by the study's isolation method, applied to every claim; None when participants
    estimate it themselves, and then each claim's own share is used — a claim without one is
    not counted (no evidence of attribution, no benefit).
    """
    if claim.hours_saved_per_month is None or claim.hours_saved_per_month <= 0:
        return ClaimResult(claim, Decimal("0"), False, "no improvement reported")
    if claim.confidence is None:
        return ClaimResult(claim, Decimal("0"), False, "no confidence given")
    if claim.hours_saved_per_month > cap:
        return ClaimResult(
            claim, Decimal("0"), False, f"extreme value: more than {cap} hours a month"
        )
    attribution = study_attribution if study_attribution is not None else claim.attribution
    if attribution is None:
        return ClaimResult(claim, Decimal("0"), False, "no share attributed to the session")
    value = (
        claim.hours_saved_per_month
        * FIRST_YEAR_MONTHS
        * hour_value
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
