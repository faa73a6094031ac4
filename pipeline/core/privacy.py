"""Masking personal data in text users quote: phone, ID-card, bank-card numbers, e-mail addresses and
(for grassroots reports marked as holding workers' personal data) people's names.

:func:`mask_personal` masks the numbers and addresses (every briefing quote goes through it).
:func:`mask_names` masks Chinese personal names, found three ways, each cheap and each catching
what the others miss:

1. names the reporter listed (the report form asks for them when personal data is marked);
2. rjieba's part-of-speech tags ``nr`` (person name) — adjacent name tokens are one name
   (``王`` + ``秀英``);
3. patterns a tagger misses: a common surname with a form of address (``马师傅``, ``老周``,
   ``小李``), and two or three characters after ``叫 / 名叫 / 姓名 / 联系人``.

A name becomes its first character plus ``某`` (``赵小红`` → ``赵某``); forms of address lose the
surname (``马师傅`` → ``某师傅``, ``老周`` → ``老某``). Over-masking a word that only looks like a
name is the accepted cost: masked text is what people outside the reporter's unit read.
:func:`mask_report_text` applies both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import rjieba

# 18-digit resident ID (last may be X), checked before phone numbers since it contains digit runs
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}([0-9Xx])(?![0-9A-Za-z])")
_BANK = re.compile(r"(?<!\d)(\d{4})(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")

#: the most common single-character surnames (about 90 % of the population)
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
            "武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒"
            "阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓"
            "古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣"
            "巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
_SURNAME = f"[{SURNAMES}]"
_ADDRESS = re.compile(rf"(?<![\u4e00-\u9fff]{{2}})({_SURNAME})(师傅|老板|经理|主任|老师|大姐|大哥|大叔|阿姨|大爷|大妈|班长|组长)")
_OLD_YOUNG = re.compile(rf"(?:(?<![\u4e00-\u9fff])|(?<=[和与跟同说问找叫让]))([老小])({_SURNAME})")
#: 老/小 + a surname character that is usually an ordinary word
_NOT_NAMES = {"老师", "小时", "小车", "小于", "老于", "小康", "老成", "小成", "老毛", "小毛", "小和", "老和", "小明",
              "老万", "小时工", "老实", "小说", "老百", "小区", "老家", "老板"}
_CUED = re.compile(r"(名叫|叫做|姓名[:：]?|联系人[:：]?|当事人[:：]?|职工|工人|员工|农民工|骑手|家属|妻子|丈夫|儿子|女儿|叫)"
                   rf"({_SURNAME}[\u4e00-\u9fff]{{1,2}})(?=[，。、；：,\s（(）)]|说|称|表示|反映|等|的|在|和|与|$)")
_NAME_TAGS = {"nr", "nrfg", "nrt"}


def mask_personal(text: str) -> str:
    """``13812345678`` → ``138****5678``; ``110105199003071234`` → ``110105********1234``."""
    if not text:
        return text
    text = _ID_CARD.sub(lambda m: m[0][:6] + "*" * 8 + m[0][-4:], text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[3]}", text)
    text = _BANK.sub(lambda m: m[1] + " **** **** " + re.sub(r"\D", "", m[0])[-4:], text)
    text = _LANDLINE.sub(lambda m: f"{m[1]}-****{m[3]}", text)
    text = _EMAIL.sub(lambda m: f"{m[1]}***@{m[2]}", text)
    return text


def _masked(name: str) -> str:
    return name[0] + "某" if len(name) >= 2 else "某"


def tagged_names(text: str) -> list[str]:
    """Person names by part-of-speech tagging, adjacent name tokens joined."""
    out: list[str] = []
    run = ""
    for word, tag in rjieba.tag(text):
        if tag in _NAME_TAGS and not word.endswith("某") and word not in ("师傅",):
            run += word
            continue
        if len(run) >= 2:
            out.append(run)
        run = ""
    if len(run) >= 2:
        out.append(run)
    return out


def mask_names(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with people's names masked (see the module docstring)."""
    if not text:
        return text
    listed = {n.strip() for n in names if n and len(n.strip()) >= 2}
    found = listed | {m[2] for m in _CUED.finditer(text)} | set(tagged_names(text))
    for name in sorted(found, key=len, reverse=True):
        text = text.replace(name, _masked(name))
    text = _ADDRESS.sub(lambda m: "某" + m[2], text)
    text = _OLD_YOUNG.sub(lambda m: m[0] if m[0] in _NOT_NAMES else m[1] + "某", text)
    return text


def mask_report_text(text: str, names: Iterable[str] = ()) -> str:
    """Numbers, addresses and names masked: what a report holding personal data shows outside the
    reporter's unit and its ancestors."""
    return mask_names(mask_personal(text), names)


__all__ = ["mask_names", "mask_personal", "mask_report_text", "tagged_names"]
