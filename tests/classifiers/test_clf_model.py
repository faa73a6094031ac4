"""The two heads: predictions, thresholds, explanations, bad input, saving and loading."""

import pickle

import numpy as np
import pytest

from yuqing.classifiers.model import ThresholdedOneVsRest, best_f1_threshold
from yuqing.classifiers.store import TRUSTED_TYPES, ModelError, load_model, save_model
from yuqing.pipeline.core.taxonomy import TOPIC_IDS


def test_best_f1_threshold_separates_scores():
    scores = np.array([2.0, 1.5, 0.9, 0.2, -0.5, -1.0])
    truth = np.array([1, 1, 1, 0, 0, 0])
    t = best_f1_threshold(scores, truth)
    assert 0.2 < t < 0.9
    assert best_f1_threshold(scores, np.zeros(6)) == float("inf")


def test_thresholded_ovr_caps_labels_and_orders_by_margin():
    rng = np.random.default_rng(0)
    X = rng.random((60, 5))
    y = [["a", "b", "c", "d"] if i % 2 else [] for i in range(60)]
    clf = ThresholdedOneVsRest(labels=("a", "b", "c", "d", "e"), max_labels=3, threshold_cv=0).fit(X, y)
    clf.thresholds_[:] = -100  # every label above its threshold
    pred = clf.predict(X)
    assert pred.shape == (60, 5) and (pred.sum(axis=1) == 3).all()
    assert clf.thresholds_.shape == (5,) and clf.coef_.shape == (5, 5)


def test_predictions_are_labels_of_the_taxonomy(small_model, small_examples):
    preds = small_model.predict([e.text for e in small_examples[:50]])
    assert len(preds) == 50
    for p in preds:
        assert set(p.topics) <= set(TOPIC_IDS) and len(p.topics) <= 3
        assert p.sentiment in ("negative", "neutral", "positive")
        assert abs(sum(p.scores.values()) - 1) < 1e-3
        assert p.sentiment == max(p.scores, key=p.scores.get)


def test_small_model_learns_clear_cases(small_model):
    wage, safe = small_model.predict([
        "工地包工头拖欠我们农民工工资半年了，讨薪无门[怒]",
        "朝阳公园的银杏叶黄了，周末带孩子去拍照，天气真好😊",
    ])
    assert "wage_arrears" in wage.topics and wage.sentiment == "negative"
    assert safe.topics == [] and safe.sentiment != "negative"


def test_explain_names_terms_of_the_text(small_model):
    text = "公司拖欠工资三个月了，我们准备去申请劳动仲裁"
    exp = small_model.explain(text)
    pred = small_model.predict([text])[0]
    assert set(exp["topics"]) == set(pred.topics) and list(exp["sentiment"]) == [pred.sentiment]
    assert exp["topics"], "a clear wage-arrears post gets at least one topic"
    for terms in exp["topics"].values():
        assert terms and all(w > 0 for _, w in terms)
        assert all(t.split("（")[0].split(" ")[0] in text.lower() or t.startswith(("非:", "后:", "lex:", "cue:", "kw:"))
                   for t, _ in terms)


BAD_INPUTS = {
    "empty": "",
    "whitespace": " \n\t ",
    "1 MB": "拖欠工资" * 262_144,
    "only emoji": "😭😭😭[怒][怒]",
    "control characters": "\x00\x01\x02\x1b\x7f\u200b\ufeff",
    "mixed scripts": "Boss didn't pay 工资 три месяца 😡 مرحبا 사장님 ｗａｇｅｓ",
    "lone surrogate": "工资\ud800拖欠",
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_classified_never_crashes(small_model, name):
    pred = small_model.predict([BAD_INPUTS[name]])[0]
    assert pred.sentiment in ("negative", "neutral", "positive")
    if name in ("empty", "whitespace", "control characters"):
        assert pred.topics == [] and pred.sentiment == "neutral" and "no readable words" in pred.note
    else:
        assert pred.note is None
    small_model.explain(BAD_INPUTS[name])


def test_skops_round_trip_predicts_the_same(small_model, tmp_path):
    texts = ["外卖骑手被平台罚款，站长还克扣工资", "工会送温暖，慰问困难职工", "今天天气不错"]
    save_model(small_model, tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"topics.skops", "sentiment.skops", "metrics.json"}
    loaded = load_model(tmp_path / "m")
    assert loaded.card == small_model.card
    for a, b in zip(small_model.predict(texts), loaded.predict(texts), strict=True):
        assert a == b


def test_pickle_round_trip(small_model):
    # vectorisers hold module-level callables only, so the heads pickle
    for pipe in (small_model.topics, small_model.sentiment):
        again = pickle.loads(pickle.dumps(pipe))
        assert type(again[-1]) is type(pipe[-1])


def test_untrusted_types_are_refused(small_model, tmp_path):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    save_model(small_model, tmp_path / "m")
    evil = FunctionTransformer(func=pickle.loads)  # a callable we never trust
    sio.dump(evil, tmp_path / "m" / "topics.skops")
    with pytest.raises(ModelError, match="not trusted: .*_pickle.loads"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / "topics.skops").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="not a readable skops file"):
        load_model(tmp_path / "m")
    assert all(t.startswith("yuqing.classifiers.") for t in TRUSTED_TYPES)


def test_fast_vectoriser_transform_equals_sklearns(small_model, small_examples):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from yuqing.classifiers.features import Prepare

    texts = [e.text for e in small_examples[:200]] + ["", "全新的词汇 never seen", "😭"]
    for pipe in (small_model.topics, small_model.sentiment):
        for name, vec in pipe.named_steps["features"].transformer_list:
            ours = vec.transform(Prepare().transform(texts))
            reference = TfidfVectorizer.transform(vec, Prepare().transform(texts))
            assert ours.shape == reference.shape, name
            assert abs(ours - reference).max() < 1e-6, name
