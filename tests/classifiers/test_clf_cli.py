"""``yuqing train | classify | evaluate`` through click's runner (in-process, real files)."""

import json

from click.testing import CliRunner

from yuqing.classifiers.store import model_dir
from yuqing.pipeline.cli.main import main


def test_train_saves_model_and_card(ctx, small_data_file, cli):
    res = cli(ctx, "train", "--data", str(small_data_file), "--cv", "random", "--json")
    assert res.exit_code == 0, res.output
    card = json.loads(res.stdout)
    d = model_dir(ctx)
    assert (d / "topics.skops").exists() and (d / "sentiment.skops").exists()
    assert json.loads((d / "metrics.json").read_text(encoding="utf-8")) == card
    assert len(card["data_version"]) == 16 and card["training_files"] == ["small.jsonl"]
    per = card["cv"]["topics"]["per_label"]["wage_arrears"]
    assert {"precision", "recall", "f1", "support"} <= set(per) and per["support"] > 0
    assert 0 <= card["cv"]["sentiment"]["macro_f1"] <= 1 and card["cv"]["method"].startswith("KFold")


def test_train_refuses_bad_data_naming_the_line(ctx, tmp_path, cli):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"content": "x", "topics": ["nope"], "sentiment": "negative"}\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                    "train", "--data", str(bad)])
    assert res.exit_code != 0 and f"{bad}:1: topics: unknown topic id(s) 'nope'" in res.output


def test_classify_adds_labels_explains_and_reports_bad_lines(model_ctx, tmp_path, cli):
    src = tmp_path / "in.jsonl"
    rows = [{"id": "a", "content": "包工头跑路了，拖欠我们工资，准备去劳动仲裁[怒]"},
            {"title": "送清凉", "content": "区总工会为户外劳动者送去防暑降温用品"},
            {"content": ""}, "[1, 2]"]
    src.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows)
                   + "\n{broken\n", encoding="utf-8")
    res = cli(model_ctx, "classify", str(src), "--explain")
    assert res.exit_code == 0
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None]
    assert out[0]["sentiment"]["label"] in ("negative", "neutral", "positive")
    assert set(out[0]["sentiment"]["scores"]) == {"negative", "neutral", "positive"}
    assert set(out[0]["explanation"]["topics"]) == set(out[0]["topics"])
    assert "line 3: rejected: no text" in res.stderr
    assert "line 4: rejected: expected a JSON object" in res.stderr
    assert "line 5: rejected: invalid JSON" in res.stderr
    # stdin, and a 1 MB record is classified on its first part with a note
    big = json.dumps({"content": "拖欠工资" * 262_144}, ensure_ascii=False)
    res = cli(model_ctx, "classify", "-", input=big + "\n")
    rec = json.loads(res.stdout)
    assert "classified on the first" in rec["classify_note"] and rec["topics"]


def test_evaluate_json_keys(model_ctx, small_data_file, tmp_path, cli):
    res = cli(model_ctx, "evaluate", "--data", str(small_data_file), "--json")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    for key in ("macro_f1", "micro_f1", "exact_match", "per_label"):
        assert key in rep["topics"]
    for key in ("macro_f1", "accuracy", "confusion", "per_class"):
        assert key in rep["sentiment"]
    n = rep["sentiment"]["n"]
    assert sum(map(sum, rep["sentiment"]["confusion"]["matrix"])) == n
    # in-sample on the training slice the model must be far better than chance
    assert rep["topics"]["micro_f1"] > 0.6 and rep["sentiment"]["accuracy"] > 0.6
    assert rep["in_sample_files"] == []
    # sentiment-only data is scored on sentiment only; text output renders
    only = tmp_path / "senti.jsonl"
    only.write_text('{"content": "太开心了，工资涨了😊", "sentiment": "positive"}\n', encoding="utf-8")
    res = cli(model_ctx, "evaluate", "--data", str(only))
    assert res.exit_code == 0 and "情感 sentiment (n=1)" in res.stdout and "话题" not in res.stdout
