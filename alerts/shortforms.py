"""The short forms people write for union units, derived from their registered names.

Nobody writes ``北京瑞丰制衣有限公司`` or ``南郎家园社区居委会`` in a post; they write ``瑞丰制衣``,
``瑞丰``, ``南郎家园``. :func:`derived_terms` gives, for one unit, the forms the linker adds beside
its name, aliases and landmarks, each with a kind (its weight in :mod:`yuqing.alerts.linking`):

Communities and villages (from the name and the official name, :func:`divisions.name_core`)
    ``short``    ``南郎家园社区`` / ``南郎家园小区`` / ``南郎家园社区居民委员会``; a village ``皮村``
    ``core``     the bare name when it has three characters or more (``南郎家园``, ``十八里店``):
                 two-character cores (``月河``, ``亮马``) are ordinary words and are not used bare
    ``compound`` the compound several communities are built from: ``芍药居一`` … ``芍药居五`` →
                 ``芍药居``, ``百子湾西/东/北`` → ``百子湾``, ``石佛营东里`` → ``石佛营`` (it points at
                 all of them; the linker resolves it, usually to their common 街乡)
    a core that is a road or bridge (``金台路社区``) gives the road as a ``road`` term of the 街乡.

Enterprises (from the name and aliases)
    ``short``    without region, branch and legal form: ``北京瑞丰制衣有限公司`` → ``瑞丰制衣``
    ``trade``    the trade name (字号) before the first industry word: ``瑞丰``, ``华星`` (from
                 ``华星互联科技``), ``京味轩`` — weak evidence, checked at word boundaries and
                 refused when followed by another industry (``华星光电`` is not ``华星互联``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from yuqing.pipeline.core.divisions import name_core
from yuqing.pipeline.core.orgmodel import Unit

REGION_PREFIXES = ("北京市朝阳区", "北京朝阳区", "北京市", "北京", "朝阳区", "中国")
LEGAL_SUFFIXES = ("工会委员会", "工会联合会", "联合工会", "工会", "股份有限公司", "有限责任公司", "集团有限公司",
                  "有限公司", "集团公司", "总公司", "分公司", "公司")
#: words that name a line of business: the trade name ends where the first of them starts
INDUSTRY_WORDS = tuple(sorted({
    "制衣", "服装", "服饰", "纺织品", "纺织", "针织", "鞋业", "科技", "互联网", "互联", "信息技术", "信息", "网络", "软件",
    "电子商务", "电子", "电器", "光电", "通信", "数据", "智能", "餐饮", "饮食", "火锅", "烤鸭", "快餐", "食品", "酒店", "大酒店",
    "宾馆", "饭店", "酒楼", "建筑", "建设", "建工", "劳务", "工程", "装饰", "装修", "设计", "物业", "保洁", "家政", "保安",
    "安保", "物流", "冷链", "快递", "速递", "配送", "运输", "货运", "客运", "公交", "出租汽车", "汽车", "汽修", "汽配", "传媒",
    "文化", "广告", "影视", "出版", "印刷", "艺术", "教育", "培训", "幼儿园", "学校", "医疗", "医药", "医院", "诊所", "药业",
    "健康", "养老", "商贸", "贸易", "商业", "商场", "超市", "连锁", "百货", "购物", "市场", "实业", "投资", "资产", "金融",
    "银行", "保险", "证券", "咨询", "管理", "服务", "发展", "控股", "置业", "地产", "房地产", "房产", "园林", "绿化", "环保",
    "环境", "能源", "电力", "燃气", "热力", "供暖", "水务", "机械", "设备", "制造", "材料", "建材", "化工", "家具", "机场",
    "航空", "旅游", "体育", "健身", "美容", "美发", "人力资源", "外包", "租赁", "电商", "零售", "批发", "农业", "钢铁",
    "铸造", "包装", "纸业", "塑料", "元件", "项目部", "分拣中心", "转运站", "站点", "车队", "门店", "分店", "总店",
    "网科",
}, key=len, reverse=True))
_INDUSTRY_RE = re.compile("|".join(map(re.escape, INDUSTRY_WORDS)))
#: short words people write for a line of business, and the registered words they stand for
ABBREVIATIONS = {"汽修": "汽车维修", "汽配": "汽车配件", "物业": "物业服务", "餐饮": "餐饮管理", "保洁": "保洁服务",
                 "家政": "家政服务", "保安": "保安服务", "快递": "快递服务", "装修": "装饰工程", "网科": "网络科技"}
_PARENS = re.compile(r"[（(][^）)]*[）)]")
_NUMBERED = r"(?:[一二三四五六七八九十]+|\d+)"
#: endings that tell communities of one compound apart: 芍药居五, 百子湾西, 石佛营东里, 劲松一区
_COMPOUND_TAIL = re.compile(rf"(?:[东西南北中]里|第?{_NUMBERED}(?:区|号院)?|[东西南北中](?:区|园)?)$")
_ROADISH = ("大街", "路", "街", "桥", "河", "道")
#: kinds of derived terms (weights in yuqing.alerts.linking.KIND_WEIGHT)
DERIVED_KINDS = ("short", "core", "compound", "road", "trade")


@dataclass(frozen=True)
class Derived:
    term: str
    kind: str
    unit: str              # the unit it points at (for ``road``: the 街乡 of the community)


def strip_region(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in REGION_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix) + 1:
                name, changed = name[len(prefix):], True
    return name


def enterprise_short(name: str) -> str:
    """``北京瑞丰制衣有限公司`` → ``瑞丰制衣``: no brackets, region prefix or legal form."""
    name = _PARENS.sub("", name).strip()
    name = strip_region(name)
    changed = True
    while changed:
        changed = False
        for suffix in LEGAL_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                name, changed = name[: -len(suffix)], True
        m = re.search(r"(朝阳|北京)?[^\s]{0,6}?分公司$", name)
        if m and m.start() >= 2:
            name, changed = name[: m.start()], True
    return name


def trade_name(short: str) -> str | None:
    """The 字号: what comes before the first industry word (at least two characters), or None."""
    m = _INDUSTRY_RE.search(short, 2)
    if m is None:
        return None
    trade = short[:m.start()]
    return trade if 2 <= len(trade) <= 6 else None


def industry_after(text: str, start: int) -> str | None:
    """The industry word starting at ``text[start:]``, if any (to refuse ``华星光电`` for ``华星``)."""
    m = _INDUSTRY_RE.match(text, start)
    return m.group(0) if m else None


def compound_of(core: str) -> str | None:
    """``芍药居五`` → ``芍药居``, ``百子湾西`` → ``百子湾``; None when nothing is cut or the rest is
    shorter than three characters."""
    rest = _COMPOUND_TAIL.sub("", core)
    return rest if rest != core and len(rest) >= 3 else None


def _community_terms(unit: Unit) -> list[Derived]:
    out: list[Derived] = []
    for source in (unit.name, *unit.aliases):
        core, village = name_core(source)
        if len(core) < 1 or core == source and not village and not source.endswith("社区"):
            continue
        if village:
            out.append(Derived(core + "村", "short", unit.id))
            out.append(Derived(core + "村委会", "short", unit.id))
            if len(core) >= 3:
                out.append(Derived(core, "core", unit.id))
            continue
        out += [Derived(core + "社区", "short", unit.id), Derived(core + "小区", "short", unit.id),
                Derived(core + "社区居民委员会", "short", unit.id)]
        if len(core) >= 3:
            if core.endswith(_ROADISH) and unit.parent:
                out.append(Derived(core, "road", unit.parent))
            else:
                out.append(Derived(core, "core", unit.id))
        compound = compound_of(core)
        if compound:
            out.append(Derived(compound, "compound", unit.id))
    return out


def _enterprise_terms(unit: Unit) -> list[Derived]:
    out: list[Derived] = []
    for source in (unit.name, *unit.aliases):
        short = enterprise_short(source)
        if short != source and len(short) >= 3:
            out.append(Derived(short, "short", unit.id))
        trade = trade_name(short)
        if trade and trade != short:
            out.append(Derived(trade, "trade", unit.id))
            if len(trade) == 4:   # 顺捷同城配送 → 顺捷配送: the first two characters and the business
                word = industry_after(short, len(trade))
                if word:
                    out.append(Derived(trade[:2] + word, "short", unit.id))
    return out


def same_business(word: str, registered: str) -> bool:
    """Whether ``word`` (found after a trade name) names the business in ``registered``."""
    return word in registered or ABBREVIATIONS.get(word, "\0") in registered


def derived_terms(unit: Unit) -> list[Derived]:
    """The short forms of ``unit`` (see the module docstring); none for a 街乡 or the district.
    Kept per unit content, so rebuilding the linker after a change derives only what changed."""
    if unit.level not in ("community", "enterprise"):
        return []
    return list(_derived(unit))


@lru_cache(maxsize=65536)
def _derived(unit: Unit) -> tuple[Derived, ...]:
    if unit.level == "community":
        terms = _community_terms(unit)
    elif unit.level == "enterprise":
        terms = _enterprise_terms(unit)
    else:
        return []
    own = {unit.name, *unit.aliases, *unit.landmarks}
    seen: set[tuple[str, str]] = set()
    out = []
    for d in terms:
        if d.term not in own and (d.term, d.kind) not in seen:
            seen.add((d.term, d.kind))
            out.append(d)
    return tuple(out)
