"""The detection measure and test in isolation (the scenarios exercise them end to end)."""

from __future__ import annotations

from yuqing.alerts.detect import log10_tail, weighted_volume
from yuqing.alerts.rules import AlertsConfig, Detection, HighRiskRule
from yuqing.pipeline.store.base import AggRow

D = Detection()


def row(posts, authors, clusters, engagement=0.0):
    return AggRow(None, {}, posts, authors, clusters, engagement)


def test_repost_storm_and_single_account_weigh_little():
    real = weighted_volume(row(20, 20, 20), D)
    storm = weighted_volume(row(80, 1, 1), D)               # one story reposted by one account
    many_reposters = weighted_volume(row(80, 60, 1), D)      # one story, many reposters
    one_author = weighted_volume(row(30, 1, 30), D)          # one account, thirty different posts
    assert 19 < real < 22 and storm == many_reposters and storm < 1.5
    assert one_author < 30 ** 0.35 and one_author < real / 5


def test_engagement_adds_a_bounded_bonus():
    quiet = weighted_volume(row(10, 10, 10, 0), D)
    viral = weighted_volume(row(10, 10, 10, 1_000_000), D)
    assert quiet < viral < quiet * 3


def test_tail_probability_matches_poisson_and_widens_with_dispersion():
    import math

    # P(X >= 3 | Poisson 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125)
    exact = 1 - math.exp(-0.5) * (1 + 0.5 + 0.125)
    assert abs(10 ** log10_tail(3, 0.5, 0.0) - exact) < 1e-12
    assert log10_tail(3, 0.5, 0.5) > log10_tail(3, 0.5, 0.0)       # over-dispersed: less surprising
    assert log10_tail(0.5, 3, 0.3) == 0.0                          # nothing observed: p = 1
    assert log10_tail(500, 0.05, 0.3) < -50                        # no underflow to -inf/0


def test_severity_rules_first_match_wins():
    cfg = AlertsConfig()
    assert cfg.severity_for(70, 6) == "critical"
    assert cfg.severity_for(30, 4) == "high"
    assert cfg.severity_for(10, 3) == "medium"
    assert cfg.severity_for(2, 1.5) == "low"


def test_high_risk_rules_need_pattern_and_context(ctx):
    from yuqing.alerts.rules import load_alerts_config

    cfg = load_alerts_config(ctx)
    rules = {r.id: r for r in cfg.high_risk}

    def hit(rule: str, text: str) -> bool:
        return rules[rule].matches(text, cfg.high_risk_excludes) is not None

    assert hit("height_protest", "工友爬上塔吊讨薪，说不给工资就不下来")
    assert not hit("height_protest", "塔吊今天检修")
    assert hit("injury_death", "工地上一名工人坠落，送医抢救")
    assert not hit("injury_death", "电视剧里主角去世了，工人们都哭了")
    assert not hit("injury_death", "小区燃气泄漏，物业公司组织疏散，无人员伤亡")        # negation ignored
    assert hit("injury_death", "员工宿舍失火，一名员工烧伤，所幸无人死亡")
    assert not hit("injury_death", "法官说法｜从一起外卖骑手猝死案看平台责任")         # an explainer
    assert hit("collective_action", "几十名工人聚集在公司门口拉横幅讨薪")
    assert hit("collective_action", "分拣中心50余名分拣员集体停工讨薪")
    assert not hit("collective_action", "演唱会门口粉丝聚集")
    assert not hit("collective_action", "小区业主集体维权，要求开发商赔偿")              # not workers
    assert not hit("collective_action", "公司拖欠工资，员工可以罢工吗？")
    bad = {"id": "x", "name": "x", "keywords": ["a"], "patterns": ["(unclosed"]}
    try:
        HighRiskRule.model_validate(bad)
    except ValueError as exc:
        assert "bad regular expression" in str(exc)
    else:
        raise AssertionError("an invalid pattern must be rejected")


def test_alerts_yaml_errors_name_the_key(ctx):
    import pytest

    from yuqing.alerts.rules import load_alerts_config
    from yuqing.pipeline.core.config import ConfigError

    (ctx.config_dir / "alerts.yaml").write_text("detection:\n  windows:\n    - {span: 90m, min_volume: 3}\n",
                                               encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_alerts_config(ctx)
    assert err.value.key == "detection.windows.0.span" and "whole hours" in err.value.reason
