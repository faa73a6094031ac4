"""Tokeniser: normalisation, user dictionary, specials, emoji, engines' agreement."""

from yuqing.pipeline.core.tokenizer import (
    MENTION_TOKEN,
    URL_TOKEN,
    analyze,
    clean_text,
    engine,
    normalize_text,
    reference_engine,
    segment,
    segment_for_search,
    sentiment_lexicon,
    stop_words,
)


def test_normalize_folds_width_case_and_traditional():
    assert normalize_text("ＡＢＣ１２３") == "abc123"
    assert normalize_text("這個公司拖欠員工薪資，勞動仲裁") == "这个公司拖欠员工薪资,劳动仲裁"
    simplified = "朝阳区总工会为外卖骑手送清凉，显著改善了干活条件"
    assert normalize_text(simplified) == simplified.replace("，", ",")


def test_user_dictionary_keeps_slang_labour_words_and_places():
    toks = segment("打工人的福报就是996，摸鱼被抓，在望京SOHO劳动仲裁，n+1走人")
    for word in ("打工人", "福报", "996", "摸鱼", "望京soho", "劳动仲裁", "n+1"):
        assert word in toks, word
    assert "拖欠" in segment_for_search("拖欠工资") and "拖欠工资" in segment_for_search("拖欠工资")


def test_analyze_folds_urls_mentions_and_keeps_emoji():
    toks = analyze("老板又画大饼[微笑][微笑] 😭👍🏻 详见 https://t.cn/A6abc 转给@朝阳工会小助手 看看www.example.com")
    assert toks.count("[微笑]") == 2
    assert "😭" in toks and "👍" in toks  # skin tone modifier dropped
    assert toks.count(URL_TOKEN) == 2 and MENTION_TOKEN in toks
    assert "画大饼" in toks
    assert not any(t in {",", ".", "/", ":", " "} for t in toks)


def test_control_characters_do_not_glue_or_crash():
    text = "拖欠\x00工资\u200b三个月\x7f\ud800"
    assert "\x00" not in clean_text(text)
    toks = analyze(text)
    assert "拖欠" in toks or "拖欠工资" in toks
    assert analyze("") == [] and analyze("\x00\x01\x02") == [] and analyze("，。！") == ["!"]


def test_rjieba_engine_matches_jieba_reference():
    sentences = ["公司拖欠工资三个月了，老板天天画大饼，打工人太难了",
                 "朝阳区总工会开展送清凉活动，为一线外卖骑手送去防暑用品",
                 "试用期被辞退能拿到N+1吗？在酒仙桥上班的社畜求助",
                 "高温天气下的户外劳动者，工会驿站提供免费饮水和休息"]
    ref = reference_engine()
    for s in sentences:
        s = normalize_text(s)
        assert engine().cut(s) == ref.cut(s)


def test_stop_words_and_lexicon_keep_stance_words():
    sw = stop_words()
    assert "的" in sw and "我们" in sw
    assert not {"不", "没", "没有", "但是", "呵呵"} & sw
    lex = sentiment_lexicon()
    assert lex["满意"] == 1 and lex["拖欠"] == -1 and lex["[怒]"] == -1
