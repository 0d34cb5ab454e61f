"""The ROI formulas on hand-computed cases."""

from __future__ import annotations

from decimal import Decimal

from knowflow.insights import roi


def test_bcr_and_roi_of_60000_benefits_and_20000_costs() -> None:
    assert roi.benefit_cost_ratio(benefits=Decimal("60000"), costs=Decimal("20000")) == Decimal(
        "3.00"
    )
    assert roi.roi_percent(benefits=Decimal("60000"), costs=Decimal("20000")) == Decimal("200.0")


def test_roi_is_negative_when_benefits_fall_short() -> None:
    assert roi.roi_percent(benefits=Decimal("15000"), costs=Decimal("20000")) == Decimal("-25.0")
    assert roi.benefit_cost_ratio(benefits=Decimal("15000"), costs=Decimal("20000")) == Decimal(
        "0.75"
    )


def test_no_costs_gives_no_ratio() -> None:
    assert roi.benefit_cost_ratio(benefits=Decimal("10"), costs=Decimal("0")) is None
    assert roi.roi_percent(benefits=Decimal("10"), costs=Decimal("0")) is None


def claim(
    hours: str | None, confidence: str | None = "0.8", attribution: str | None = "0.5"
) -> roi.Claim:
    return roi.Claim(
        source="follow-up 1",
        hours_saved_per_month=None if hours is None else Decimal(hours),
        confidence=None if confidence is None else Decimal(confidence),
        attribution=None if attribution is None else Decimal(attribution),
    )


HOUR = Decimal("50")
CAP = Decimal("40")


def value(c: roi.Claim, study_attribution: Decimal | None = None) -> roi.ClaimResult:
    return roi.claim_value(claim=c, hour_value=HOUR, study_attribution=study_attribution, cap=CAP)


def test_claim_is_first_year_hours_times_value_attribution_and_confidence() -> None:
    # Participants' estimate: 10 h/month × 12 × 50 × 0.5 attributed × 0.8 confidence = 2,400.00
    result = value(claim("10"))
    assert (result.value, result.counted) == (Decimal("2400.00"), True)


def test_claim_without_its_own_attribution_counts_zero_under_participant_estimates() -> None:
    # An answer given before follow-ups asked for the share: never counted as 100 %.
    result = value(claim("10", attribution=None))
    assert (result.value, result.counted, result.reason) == (
        Decimal("0"),
        False,
        "no share attributed to the session",
    )


def test_another_isolation_method_applies_its_share_to_every_claim() -> None:
    # Control group found 0.25: 10 × 12 × 50 × 0.25 × 0.8 = 1,200.00, whatever the claim said.
    assert value(claim("10", attribution=None), Decimal("0.25")).value == Decimal("1200.00")
    assert value(claim("10", attribution="1"), Decimal("0.25")).value == Decimal("1200.00")


def test_claim_attributed_nothing_to_the_session_is_worth_nothing() -> None:
    result = value(claim("10", attribution="0"))
    assert (result.value, result.counted) == (Decimal("0.00"), True)


def test_no_improvement_data_means_no_benefit() -> None:
    for hours in (None, "0"):
        result = value(claim(hours))
        assert (result.value, result.counted, result.reason) == (
            Decimal("0"),
            False,
            "no improvement reported",
        )


def test_claim_without_confidence_counts_zero() -> None:
    result = value(claim("5", confidence=None))
    assert (result.counted, result.reason) == (False, "no confidence given")


def test_extreme_claim_above_the_cap_is_excluded_and_the_cap_itself_counts() -> None:
    over, at = value(claim("40.5")), value(claim("40"))
    assert (over.counted, over.reason) == (False, "extreme value: more than 40 hours a month")
    assert at.value == Decimal("9600.00")  # 40 × 12 × 50 × 0.5 × 0.8


def test_claims_total_adds_counted_claims_only() -> None:
    results = [
        value(claim("10")),
        value(claim("100")),
        value(claim("5", confidence="1", attribution="1")),
    ]
    assert roi.claims_total(results) == Decimal("5400.00")  # 2,400 + 0 + 5 × 12 × 50


def test_training_avoided_and_people_hours() -> None:
    assert roi.training_avoided_value(price=Decimal("1499.50"), people=4) == Decimal("5998.00")
    assert roi.people_hours_cost(hours=Decimal("7.5"), hourly_cost=Decimal("80")) == Decimal(
        "600.00"
    )
