"""Masking personal data: numbers always, people's names for reports marked as holding them."""

from __future__ import annotations

import pytest

from yuqing.pipeline.core.privacy import mask_names, mask_personal, mask_report_text


@pytest.mark.parametrize("text, gone, kept", [
    ("工人赵小红说老板欠了三个月工资", ["赵小红"], ["赵某", "老板", "三个月"]),
    ("家属王秀英在现场，外卖员刘强被车撞伤", ["王秀英", "刘强", "秀英"], ["王某", "刘某", "外卖员"]),
    ("包工头陈立新拖欠工资，马师傅带头讨薪", ["陈立新", "马师傅"], ["包工头", "某师傅", "讨薪"]),
    ("联系人：孙丽，老周和小李也在", ["孙丽", "老周", "小李"], ["联系人", "老某", "小某"]),
    ("等了三个小时，老师傅们在小区门口", [], ["三个小时", "小区门口"]),
])
def test_names_are_masked_ordinary_words_are_not(text, gone, kept):
    out = mask_names(text)
    for name in gone:
        assert name not in out, out
    for word in kept:
        assert word in out, out


def test_listed_names_and_numbers():
    text = "当事人欧阳娜娜，电话 138-1234-5678，身份证110105199003071234，座机010-84053793"
    out = mask_report_text(text, ["欧阳娜娜"])
    assert "欧阳娜娜" not in out and "欧某" in out
    assert "1234-5678" not in out and "110105199003071234" not in out and "84053793" not in out
    assert mask_personal("") == "" and mask_names("") == ""
