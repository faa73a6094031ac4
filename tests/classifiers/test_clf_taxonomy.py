"""Taxonomy loading and validation; unknown ids in labelled data."""

import json

import pytest
import yaml

from yuqing.classifiers.corpus import CorpusError, read_labelled
from yuqing.pipeline.core.config import ConfigError
from yuqing.pipeline.core.taxonomy import TOPIC_IDS, UnknownTopicError, load_taxonomy


def test_shipped_taxonomy_has_the_fixed_ids_with_chinese_names(ctx):
    tax = load_taxonomy(ctx)
    assert tax.ids == list(TOPIC_IDS)
    assert tax.name("wage_arrears") == "欠薪讨薪"
    assert all(t.keywords and t.description for t in tax.topics)
    assert "996" in tax.get("working_hours").keywords  # YAML numbers are read as words


def test_unknown_and_missing_ids_fail_with_file_and_key(ctx):
    path = ctx.config_dir / "taxonomy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["topics"][0]["id"] = "wage_arears"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(ctx)
    assert "taxonomy.yaml" in str(err.value) and "topics.0.id" in str(err.value)
    assert "wage_arears" in str(err.value)
    data["topics"] = data["topics"][1:]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="missing: wage_arrears"):
        load_taxonomy(ctx)


def test_check_ids_names_where(ctx):
    with pytest.raises(UnknownTopicError, match=r"x.jsonl:3: unknown topic id\(s\) 'salary'"):
        load_taxonomy(ctx).check_ids(["wage_arrears", "salary"], "x.jsonl:3")


def test_labelled_data_with_unknown_ids_is_refused_with_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    rows = [{"content": "工资拖欠", "topics": ["wage_arrears"], "sentiment": "negative"},
            {"content": "加班", "topics": ["overtime"], "sentiment": "negative"},
            {"content": "", "topics": [], "sentiment": "neutral"},
            {"content": "好", "topics": [], "sentiment": "great"}]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_labelled([f])
    msg = str(err.value)
    assert f"{f}:2: topics: unknown topic id(s) 'overtime'" in msg
    assert f"{f}:3: content: empty" in msg
    assert f"{f}:4: sentiment" in msg and f"{f}:5: invalid JSON" in msg
    good, problems = read_labelled([f], strict=False)
    assert len(good) == 1 and len(problems) == 4
