from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from integration.scoring import (
    LEAD_CONVERSION,
    BadSettings,
    ContactScore,
    ModelScorer,
    PointsScorer,
    ScoringSettings,
    TrainingOptions,
    train,
)
from integration.scoring.actions import (
    CALL,
    NURTURE,
    OFFER,
    RETENTION_CALL,
    choose_actions,
    rules_for,
)
from integration.scoring.explain import render
from integration.scoring.tiers import assign_tiers, quartile_cutoffs

from .conftest import make_contacts

TEMPLATES = {
    "num_contacted": {"text": "contacted {value} times this campaign",
                      "values": {"1": "contacted once this campaign"}},
    "opted_in": {"values": {"yes": "opted in to marketing", "no": "has not opted in"}},
}


@pytest.fixture(scope="module")
def result():
    return train(make_contacts(1500, seed=4), LEAD_CONVERSION, TrainingOptions(folds=3))


@pytest.fixture(scope="module")
def scorer(result):
    return ModelScorer(result.bundle, {"reason_templates": TEMPLATES}, version="v7")


def test_tiers_by_cutoffs_and_default_quartiles():
    probability = np.array([0.9, 0.5, 0.3, 0.1, 0.05])
    assert assign_tiers(probability, (50, 30, 10)).tolist() == ["A", "A", "B", "C", "D"]
    training = np.random.default_rng(0).beta(1, 6, 4000)
    tiers = assign_tiers(training, quartile_cutoffs(training))
    shares = pd.Series(tiers).value_counts(normalize=True)
    assert shares.to_dict() == pytest.approx({"A": 0.25, "B": 0.25, "C": 0.25, "D": 0.25}, abs=0.01)


def test_reason_templates_and_generic_fallback():
    template = TEMPLATES["num_contacted"]
    assert render("num_contacted", "5", False, template) == "contacted 5 times this campaign"
    assert render("num_contacted", "1", False, template) == "contacted once this campaign"
    assert render("poutcome", "success", False,
                  {"values": {"success": "previous campaign succeeded"}}) == (
        "previous campaign succeeded"
    )
    assert render("hs_analytics_source", "referral", False, None) == (
        "hs_analytics_source is referral"
    )
    assert render("industry", "unknown", True, None) == "industry is unknown"
    assert render("x", "3", False, "broken {nope}") == "x is 3"


def test_model_scores_rows_of_strings(scorer):
    rows = [
        {"num_contacted": "8", "hs_analytics_source": "referral", "opted_in": "true",
         "createdate": "2025-12-20T00:00:00Z"},
        {"num_contacted": "0", "hs_analytics_source": "paid", "opted_in": "false",
         "createdate": None, "unrelated": "ignored"},
        {},
    ]
    scores = scorer.score(rows)
    assert [type(s) for s in scores] == [ContactScore] * 3
    best, worst, empty = scores
    assert best.probability > 0.5 > worst.probability
    assert best.score == round(best.probability * 100) and 0 <= empty.score <= 100
    assert best.tier == "A" and worst.tier == "D"
    assert best.action == CALL and worst.action == NURTURE
    assert best.model_version == "v7" and best.rule_based is False
    assert "contacted 8 times this campaign" in best.reasons
    assert "opted in to marketing" in best.reasons
    assert "came from referral" in best.reasons  # a shipped HubSpot template
    assert "has not opted in" in worst.reasons
    assert all(len(s.reasons) <= 3 for s in scores)
    assert scorer.score([]) == []


def test_reasons_follow_the_direction_of_the_score(scorer):
    frame = make_contacts(400, seed=5)
    table = scorer.score_frame(frame)
    contacted = pd.to_numeric(frame["num_contacted"], errors="coerce")
    # A contact pushed up by many contacts says so; a low one never cites that.
    high = table[(contacted >= 6).to_numpy() & (table["probability"] > 0.5).to_numpy()]
    assert len(high) and high["reasons"].map(
        lambda r: any(text.startswith("contacted") for text in r)).all()
    low = table[(contacted >= 6).to_numpy() & (table["probability"] < scorer.base_rate)]
    assert not low["reasons"].map(
        lambda r: any(text.startswith("contacted 6") for text in r)).any()


def test_configured_tiers_and_action_rules(result):
    settings = {
        "tier_cutoffs": {"A": 90, "B": 80, "C": 70},
        "actions": [
            {"action": "Invite to webinar", "property": "hs_analytics_source",
             "values": ["referral"]},
            {"action": OFFER, "min_score": 50},
            {"action": NURTURE},
        ],
    }
    scorer = ModelScorer(result.bundle, settings, version="v1")
    scores = scorer.score([
        {"num_contacted": "8", "hs_analytics_source": "referral", "opted_in": "true"},
        {"num_contacted": "9", "hs_analytics_source": "paid", "opted_in": "true"},
        {"num_contacted": "0", "hs_analytics_source": "paid", "opted_in": "false"},
    ])
    assert [s.action for s in scores] == ["Invite to webinar", OFFER, NURTURE]
    assert {s.tier for s in scores} <= {"B", "C", "D"}  # none reaches 90 here
    with pytest.raises(BadSettings):
        ModelScorer(result.bundle, {"tier_cutoffs": [10, 20, 30]})
    with pytest.raises(BadSettings):
        ModelScorer(result.bundle, {"actions": [{"tiers": ["A"]}]})


def test_churn_goal_defaults_to_retention_call():
    tiers = np.array(["A", "B", "C", "D"])
    rules = rules_for("churn", None)
    actions = choose_actions(rules, tiers, np.array([90, 60, 30, 5]), pd.DataFrame(index=range(4)))
    assert actions[0] == RETENTION_CALL and actions[1] == OFFER


def test_points_model_is_rule_based_and_configurable():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    rows = pd.DataFrame({
        "hs_email_click": ["2", "0", ""],
        "num_conversion_events": ["1", "", "unknown"],
        "hs_analytics_last_visit_timestamp": ["2026-02-27T10:00:00Z", "2025-01-01", None],
        "jobtitle": ["CTO", "", None],
        "hs_email_optout": ["false", "true", ""],
    })
    scorer = PointsScorer(ScoringSettings())
    table = scorer.score_frame(rows, now=now)
    assert table["score"].tolist() == [55, 0, 0]  # 15 + 20 + 15 + 5; 0 - 30 caps at 0
    assert table["reasons"][0][0] == "filled in 1 forms (+20 points)"
    assert "opted out of email (-30 points)" in table["reasons"][1]
    assert table["tier"].tolist() == ["B", "D", "D"]
    scores = scorer.score([{"jobtitle": "CEO"}])
    assert scores[0].rule_based is True and scores[0].model_version.startswith("rules-")
    custom = PointsScorer({"cold_start": {"rules": [
        {"property": "plan", "op": "in", "value": ["pro"], "points": 70, "group": "fit",
         "reason": "on the pro plan"}]}})
    pro = custom.score([{"plan": "pro"}])[0]
    assert (pro.score, pro.tier, pro.reasons) == (70, "A", ["on the pro plan (+70 points)"])
    assert custom.version != scorer.version
    with pytest.raises(BadSettings):
        PointsScorer({"cold_start": {"rules": [{"property": "x", "points": 1, "op": "~"}]}})
