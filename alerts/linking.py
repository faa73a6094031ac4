"""Linking: which union unit(s) a post concerns — one Aho-Corasick pass over its text.

Terms (built once per hierarchy version, :class:`Linker`)
    1. The registry's own: every unit's name (0.95), aliases (0.85), landmarks (0.7) and the
       ``shared`` terms (0.7).
    2. The shipped gazetteer (:mod:`yuqing.alerts.gazetteer`): places people write (malls, towers,
       bridges, stations, compounds: 0.7), terms with several senses, places outside Chaoyang.
    3. Short forms derived from registered names (:mod:`yuqing.alerts.shortforms`): ``南郎家园社区``
       (0.85), bare ``南郎家园`` (0.75), compounds of several communities such as ``芍药居`` (0.7),
       roads a community is named after (0.6, to its 街乡), an enterprise's ``瑞丰制衣`` (0.85) and
       its trade name ``瑞丰`` (0.6).
    A term keeps the meaning of the first group that has it (the registry over the gazetteer over
    derived forms); within one group, a term several units carry points at all of them. All terms
    and texts are compared normalised (NFKC, lower case, traditional → simplified: ``國貿`` = ``国贸``).

Matching
    The post's title + content, and separately its platform ``location`` field, are scanned once
    for the longest non-overlapping matches (``望京SOHO`` beats ``望京``, ``朝阳门外`` beats
    ``朝阳门``). A term that starts or ends with a Latin letter or digit must not touch another one
    (``798`` is not in ``17985``). Weak terms (bare trade names, bare names of three characters or
    fewer) must also start and end on word boundaries of the segmenter (``丽景`` is not in
    ``美丽景色``), a trade name followed by another line of business is refused (``华星光电``), a bare
    two-character trade name counts only among work words (``瑞丰又欠薪了``, not ``长城上看日出``), and a
    bare community name followed by 站/路/街/桥/道/门 names that feature, not the community
    (``高碑店东站`` is not ``高碑店东社区``).

Evidence
    Each match is evidence for its unit with the weight of its kind; in the location field 0.9× (a
    check-in place is weaker than a named employer). Evidence for one unit combines as independent
    signals: 1 − Π(1 − wᵢ).

Ambiguity — resolved by context, with a confidence and a note, never silently
    * A term of several units (a border landmark, a name the official list holds twice, a compound
      of several communities): candidates in the branch (街乡) other matches point at win; if none
      does and the candidates share a unit below the district, that unit is linked (``百子湾`` →
      南磨房地区); otherwise each candidate at half weight (each union hears).
    * A term with senses (``望京`` 望京街道 or 望京村, ``平房`` 平房地区 or a bungalow, ``高碑店``
      高碑店地区 or the city in Hebei): each sense's prior odds are multiplied by 4 for each of its
      cue words in the post (at most three) and, for a sense in Chaoyang, by 3 when other Chaoyang
      evidence is present and by 4 more when that evidence is in the sense's branch. The likeliest
      sense wins; a sense outside Chaoyang links nothing; a sense in Chaoyang is evidence weighted
      by its probability.
    * Outside terms (``朝阳门`` in 东城区, ``朝阳市``) link nothing and say so.

Result
    The **most specific** units (a unit is dropped when a descendant is also matched; matching
    ancestors raise the descendant's confidence, ``望京 … 花家地社区``). Nothing matched: the
    district with confidence 0 — the post still counts there. ``org_units`` gets the most specific
    units, ``org_path`` those plus all ancestors, ``link_confidence`` the highest unit confidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import ahocorasick

from yuqing.alerts.gazetteer import Gazetteer, Sense, resolve
from yuqing.alerts.shortforms import DERIVED_KINDS, derived_terms, industry_after, same_business
from yuqing.pipeline.core.org import OrgTree, load_org, normalize_term
from yuqing.pipeline.core.orgregistry import paused_gc
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.core.tokenizer import engine

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

KIND_WEIGHT = {"name": 0.95, "alias": 0.85, "landmark": 0.7, "shared": 0.7, "place": 0.7, "sense": 0.8,
               "short": 0.85, "core": 0.75, "compound": 0.7, "road": 0.6, "trade": 0.6, "outside": 0.0}
KIND_NAMES = {"name": "名称", "alias": "别名", "landmark": "地标", "shared": "共用地名", "place": "地名",
              "sense": "多义地名", "short": "简称", "core": "简称", "compound": "片区名", "road": "道路",
              "trade": "字号", "outside": "区外地名"}
#: which meaning a term keeps when several sources have it (lower wins)
RANK = {"sense": -1, "outside": -1, "name": 0, "alias": 1, "landmark": 2, "shared": 2, "place": 3, "short": 4,
        "core": 5, "road": 5, "compound": 6, "trade": 7}
LOCATION_FACTOR = 0.9
UNRESOLVED_FACTOR = 0.5
COMMON_FACTOR = 0.9
ANCESTOR_SUPPORT = 0.5
CUE_ODDS, CHAOYANG_ODDS, BRANCH_ODDS, MAX_CUES = 4.0, 3.0, 4.0, 3
WINDOW = 5
#: words near a bare two-character trade name that say it is an employer
_EMPLOYER_CUES = re.compile("公司|工厂|厂|集团|老板|老总|员工|职工|工人|工友|工资|欠薪|讨薪|裁员|辞退|上班|加班|社保|入职|离职|"
                            "门店|店长|工地|项目部|骑手|司机|保安|保洁|单位")
EMPLOYER_WINDOW = 12
#: a bare community name followed by one of these names another feature (a station, road, bridge …)
FEATURE_TAIL = frozenset("站路街桥道门")


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Entry:
    """What one normalised term means."""

    term: str
    kind: str
    units: tuple[str, ...]
    senses: tuple[Sense, ...] = ()
    where: str = ""

    @property
    def weak(self) -> bool:
        return self.kind == "trade" or (self.kind in ("core", "road", "short", "compound") and len(self.term) <= 3)


class Match(NamedTuple):
    term: str            # as written in the registry or gazetteer
    kind: str            # name | alias | landmark | shared | place | sense | short | core | compound | road | trade | outside
    units: tuple[str, ...]
    start: int
    end: int             # exclusive, in the normalised text
    source: str          # text | location


@dataclass
class LinkResult:
    units: list[str]
    path: list[str]
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)  # every unit with evidence (before roll-up)
    unit_confidence: dict[str, float] = field(default_factory=dict)  # the linked units
    matches: list[Match] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)           # how ambiguous terms were resolved
    default: bool = False                                    # nothing matched → district


class Linker:
    """Builds the automaton once; :meth:`link` is then a single pass per text."""

    def __init__(self, org: OrgTree, gazetteer: Gazetteer | None = None):
        self.org = org
        self.gazetteer = gazetteer if gazetteer is not None else resolve(org)
        self.entries: dict[str, Entry] = {}
        with paused_gc():
            self._build_terms()
            self.automaton = ahocorasick.Automaton()
            for norm, entry in self.entries.items():
                self.automaton.add_word(norm, (norm, entry))
            if self.entries:
                self.automaton.make_automaton()
        self._branch = {uid: self._branch_of(uid) for uid in org.units}
        self._names = {uid: normalize_term(" ".join((u.name, *u.aliases))) for uid, u in org.units.items()
                       if u.level == "enterprise"}

    # -- terms -------------------------------------------------------------------------------

    def _put(self, term: str, kind: str, units: tuple[str, ...], **extra) -> None:
        norm = _norm(term)
        if len(norm) < 2:
            return
        cur = self.entries.get(norm)
        if cur is None or RANK[kind] < RANK[cur.kind]:
            self.entries[norm] = Entry(term, kind, units, **extra)
        elif RANK[kind] == RANK[cur.kind] and kind not in ("sense", "outside"):
            merged = tuple(dict.fromkeys((*cur.units, *units)))
            if merged != cur.units:
                self.entries[norm] = Entry(cur.term, cur.kind, merged)

    def _build_terms(self) -> None:
        org, gaz = self.org, self.gazetteer
        for term, senses in gaz.senses.items():
            self._put(term, "sense", tuple(s.unit for s in senses if s.unit), senses=senses)
        for term, where in gaz.outside:
            self._put(term, "outside", (), where=where)
        for unit in org.units.values():
            for term, kind in unit.terms:
                self._put(term, kind, (unit.id,))
        for shared in org.shared:
            self._put(shared.term, "shared", tuple(shared.units))
        for term, uid in gaz.places:
            self._put(term, "place", (uid,))
        for unit in org.units.values():
            for d in derived_terms(unit):
                if d.unit in org.units:
                    self._put(d.term, d.kind, (d.unit,))

    def _branch_of(self, unit_id: str) -> str:
        """The subdistrict-level ancestor (or the unit itself at that level; the root for the root)."""
        path = self.org.path(unit_id)
        return path[-2] if len(path) >= 2 else path[-1]

    # -- matching ----------------------------------------------------------------------------

    def find(self, text: str, source: str = "text") -> list[Match]:
        return self._find(normalize_term(text), source)

    def _find(self, norm: str, source: str) -> list[Match]:
        """Matches in already normalised text."""
        out: list[Match] = []
        if not self.entries:
            return out
        for end, (key, entry) in self.automaton.iter_long(norm):
            start = end - len(key) + 1
            found = self._accept(norm, start, end + 1, entry)
            # a refused longest match may hide a shorter name or place at the same place (高碑店东站 →
            # 高碑店); derived forms are not tried (东方明远银行 is not 东方纺织)
            length = len(key) - 1
            while found is None and length >= 2:
                shorter = self.entries.get(norm[start:start + length])
                if shorter is not None and RANK[shorter.kind] <= RANK["place"]:   # never a derived form
                    found = self._accept(norm, start, start + length, shorter)
                length -= 1
            if found is not None:
                out.append(Match(found.term, found.kind, found.units, start, start + len(_norm(found.term)), source))
        return out

    def _accept(self, norm: str, start: int, end: int, entry: Entry) -> Entry | None:
        """``entry`` matched at ``norm[start:end]``, or None when the match is refused."""
        if _is_ascii_alnum(norm[start]) and start > 0 and _is_ascii_alnum(norm[start - 1]):
            return None
        if _is_ascii_alnum(norm[end - 1]) and end < len(norm) and _is_ascii_alnum(norm[end]):
            return None
        if entry.kind in ("core", "compound") and end < len(norm) and norm[end] in FEATURE_TAIL:
            return None   # 高碑店东站 is a station, not the community 高碑店东社区
        if entry.weak and not self._weak_ok(norm, start, end, entry):
            return None
        return entry

    def _weak_ok(self, norm: str, start: int, end: int, entry: Entry) -> bool:
        """A weak term must sit on word boundaries; a trade name must not run into another trade."""
        if entry.kind == "trade":
            word = industry_after(norm, end)
            if word is not None and not any(same_business(word, self._names.get(u, "")) for u in entry.units):
                return False
            if word is None and len(entry.term) <= 2 and not _EMPLOYER_CUES.search(
                    norm, max(0, start - EMPLOYER_WINDOW), end + EMPLOYER_WINDOW):
                return False   # 长城、东方: a two-character trade name alone is an employer only among work words
        lo, hi = max(0, start - WINDOW), min(len(norm), end + WINDOW)
        tokens = engine().cut(norm[lo:hi])
        if "".join(tokens) != norm[lo:hi]:
            return True
        bounds, pos = {lo}, lo
        for tok in tokens:
            pos += len(tok)
            bounds.add(pos)
        return start in bounds and end in bounds

    def link(self, text: str, location: str | None = None) -> LinkResult:
        norm_text = normalize_term(text)
        norm_loc = normalize_term(location) if location else ""
        matches = self._find(norm_text, "text")
        if norm_loc:
            matches += self._find(norm_loc, "location")
        if not matches:
            return self._default(["未匹配到任何单位，计入区总工会"], [])
        context = f"{norm_text} {norm_loc}"
        evidence: dict[str, list[float]] = {}
        notes: list[str] = []
        for m in matches:
            if m.kind == "outside":
                notes.append(f"“{m.term}”{self._outside_where(m)}，不属朝阳区，不据此关联")
            elif m.kind != "sense" and len(m.units) == 1:
                evidence.setdefault(m.units[0], []).append(_weight(m))
        settled = dict(evidence)   # what the unambiguous terms say, the context for the rest
        for m in matches:
            if m.kind == "sense":
                notes.append(self._resolve_sense(m, context, settled, evidence))
        settled = dict(evidence)   # now with the senses: context for the terms several units share
        for m in matches:
            if m.kind != "sense" and len(m.units) > 1:
                notes.append(self._resolve_shared(m, settled, evidence))
        if not evidence:
            return self._default(notes or ["未匹配到任何单位，计入区总工会"], matches)
        scores = {u: 1.0 - math.prod(1.0 - w for w in ws) for u, ws in evidence.items()}
        units = self.org.most_specific(scores)
        final = {u: self._confidence(u, scores) for u in units}
        units.sort(key=lambda u: (-final[u], u))
        return LinkResult(units, self.org.path_of(units), max(final.values()), scores, final, matches, notes)

    def _default(self, notes: list[str], matches: list[Match]) -> LinkResult:
        root = self.org.root.id
        return LinkResult([root], [root], 0.0, {}, {root: 0.0}, matches, notes, default=True)

    def _outside_where(self, m: Match) -> str:
        entry = self.entries.get(normalize_term(m.term))
        return f"在{entry.where}" if entry and entry.where else "在朝阳区以外"

    def _context_branches(self, settled: dict[str, list[float]]) -> set[str]:
        return {self._branch[u] for u in settled if u != self.org.root.id}

    def _resolve_sense(self, m: Match, context: str, settled: dict, evidence: dict) -> str:
        """Weigh a term's senses by prior, cue words and the other evidence; add the winner's."""
        entry = self.entries[normalize_term(m.term)]
        branches = self._context_branches(settled)
        in_chaoyang = bool(settled)
        odds = []
        for s in entry.senses:
            o = s.prior * CUE_ODDS ** min(MAX_CUES, sum(1 for c in s.cues if _norm(c) in context))
            if s.unit is not None and in_chaoyang:
                o *= CHAOYANG_ODDS * (BRANCH_ODDS if self._branch[s.unit] in branches else 1.0)
            odds.append(o)
        total = sum(odds)
        probs = [o / total for o in odds]
        best = max(range(len(probs)), key=probs.__getitem__)
        sense, p = entry.senses[best], probs[best]
        others = "、".join(s.where for i, s in enumerate(entry.senses) if i != best)
        if sense.unit is None:
            return f"“{m.term}”可指{others}或{sense.where}，据上下文判断为{sense.where}（把握 {p:.2f}），不据此关联"
        evidence.setdefault(sense.unit, []).append(_weight(m) * p)
        return f"“{m.term}”可指{sense.where}或{others}，据上下文取{sense.where}（把握 {p:.2f}）"

    def _resolve_shared(self, m: Match, settled: dict[str, list[float]], evidence: dict[str, list[float]]) -> str:
        """A term several units carry: by the branch the other matches point at; else their common
        unit below the district; else every candidate at a discount. Returns the note."""
        w = _weight(m)
        names = "、".join(self.org.display_name(u) for u in m.units)
        branches = self._context_branches(settled)
        chosen = [u for u in m.units if self._branch[u] in branches]
        direct = [u for u in chosen if u in settled]
        if direct:
            chosen = direct
        if len(chosen) > 1:
            common = self.org.common_ancestor(chosen)
            if common != self.org.root.id and common not in chosen:
                chosen = [common]
        if chosen:
            for u in chosen:
                evidence.setdefault(u, []).append(w)
            return f"“{m.term}”为{names}共有，据上下文归入{'、'.join(self.org.display_name(u) for u in chosen)}"
        common = self.org.common_ancestor(m.units)
        if common != self.org.root.id:
            evidence.setdefault(common, []).append(w * COMMON_FACTOR)
            return f"“{m.term}”为{names}共有，均属{self.org.display_name(common)}，归入该单位"
        for u in m.units:
            evidence.setdefault(u, []).append(w * UNRESOLVED_FACTOR)
        return f"“{m.term}”为{names}共用，无法进一步确定，同时关联"

    def _confidence(self, unit: str, scores: dict[str, float]) -> float:
        """A linked unit's confidence: its own score, supported by the scores of its ancestors."""
        miss = 1.0 - scores[unit]
        for a in self.org.ancestors(unit):
            if a in scores:
                miss *= 1.0 - ANCESTOR_SUPPORT * scores[a]
        return round(1.0 - miss, 3)

    def explain(self, result: LinkResult) -> list[str]:
        """Chinese lines saying why: each match, each resolution, the result."""
        lines = []
        for m in result.matches:
            where = "定位" if m.source == "location" else "正文"
            targets = "、".join(self.org.display_name(u) for u in m.units) or "（朝阳区外）"
            lines.append(f"{where}第{m.start + 1}字起“{m.term}”：{KIND_NAMES[m.kind]} → {targets}")
        lines.extend(result.notes)
        for u in result.units:
            lines.append(f"关联 {self.org.display_name(u)}（{u}），置信度 {result.unit_confidence.get(u, 0.0):.2f}")
        return lines

    def terms_of(self, unit_id: str) -> list[tuple[str, str]]:
        """(term, kind) the linker uses for ``unit_id`` beyond its name, aliases and landmarks."""
        return [(e.term, e.kind) for e in self.entries.values()
                if unit_id in e.units and e.kind in (*DERIVED_KINDS, "place", "sense")]


@lru_cache(maxsize=131072)
def _norm(term: str) -> str:
    return normalize_term(term.strip())


def _weight(m: Match) -> float:
    """How much one match says: by its kind, less when it is only in the location field."""
    return KIND_WEIGHT[m.kind] * (LOCATION_FACTOR if m.source == "location" else 1.0)


_linkers: dict[tuple[int, int], Linker] = {}


def linker_for(org: OrgTree) -> Linker:
    """One :class:`Linker` per hierarchy (the tree object and its version): building one for
    10,000 units takes a fraction of a second, so it is kept while the tree is."""
    key = (id(org), org.version)
    found = _linkers.get(key)
    if found is None or found.org is not org:
        if len(_linkers) > 4:
            _linkers.clear()
        found = _linkers[key] = Linker(org)
    return found


class LinkStage:
    """Ingest stage: sets ``org_units``, ``org_path`` and ``link_confidence`` on every post — except
    on a grassroots report (platform ``report``), whose unit its reporter chose: that is kept."""

    name = "link"

    def __init__(self, ctx: Context | None = None, *, org: OrgTree | None = None):
        if org is None:
            if ctx is None:
                raise ValueError("LinkStage needs a context or an OrgTree")
            org = load_org(ctx)
        self.linker = linker_for(org)

    def process(self, posts: list[Post]) -> None:
        org = self.linker.org
        for post in posts:
            declared = [u for u in post.org_units if u in org] if post.platform == "report" else []
            if declared:  # a grassroots report: its reporter chose the unit, and knows best
                post.org_units, post.org_path, post.link_confidence = declared, org.path_of(declared), 1.0
                continue
            result = self.linker.link(post.text, post.location)
            post.org_units = result.units
            post.org_path = result.path
            post.link_confidence = result.confidence
