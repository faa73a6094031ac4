"""Linking: which union unit(s) a post concerns — one Aho-Corasick pass over its text.

Method
    1. Every unit's name, aliases and landmarks (and every ``shared`` term) go into one
       automaton over normalised text (NFKC, lower case: ``ＣＢＤ`` = ``cbd``).
    2. The post's title + content, and separately its platform ``location`` field, are scanned
       once for the longest non-overlapping matches (``望京SOHO`` beats ``望京``). A term that
       starts or ends with a Latin letter or digit must not touch another one (``798`` is not
       found in ``17985``).
    3. Each match is evidence for its unit with a weight by kind: official name 0.95, alias 0.85,
       landmark 0.7; matches in the location field count 0.9× (a check-in place is weaker than a
       named employer). Evidence for one unit combines as independent signals: 1 − Π(1 − wᵢ).
    4. A shared term (a border landmark, a name two units carry) is resolved by the other
       evidence: candidates in the same branch (same subdistrict-level ancestor) as another matched
       unit win. Unresolved, the post links to every candidate at half weight (each union hears).
    5. The result is the **most specific** units: a unit is dropped when a descendant is also
       matched; matching ancestors raise the descendant's confidence (``望京 … 花家地社区``).
    6. Nothing matched: the post links to the district with confidence 0 — it still counts there.

``org_units`` gets the most specific units, ``org_path`` those plus all ancestors (what unit
filters and roll-ups use), ``link_confidence`` the highest unit confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ahocorasick

from yuqing.pipeline.core.org import OrgTree, load_org, normalize_term
from yuqing.pipeline.core.record import Post

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

KIND_WEIGHT = {"name": 0.95, "alias": 0.85, "landmark": 0.7, "shared": 0.7}
KIND_NAMES = {"name": "名称", "alias": "别名", "landmark": "地标", "shared": "共用地名"}
LOCATION_FACTOR = 0.9
UNRESOLVED_FACTOR = 0.5
ANCESTOR_SUPPORT = 0.5


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Match:
    term: str            # as written in org.yaml
    kind: str            # name | alias | landmark | shared
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
    notes: list[str] = field(default_factory=list)           # how shared terms were resolved
    default: bool = False                                    # nothing matched → district


class Linker:
    """Builds the automaton once; :meth:`link` is then a single pass per text."""

    def __init__(self, org: OrgTree):
        self.org = org
        self.automaton = ahocorasick.Automaton()
        entries: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        for unit in org.units.values():
            for term, kind in unit.terms:
                entries.setdefault(normalize_term(term.strip()), (term, kind, (unit.id,)))
        for shared in org.shared:
            entries[normalize_term(shared.term.strip())] = (shared.term, "shared", tuple(shared.units))
        for norm, (term, kind, units) in entries.items():
            self.automaton.add_word(norm, (norm, term, kind, units))
        self.automaton.make_automaton()
        self._branch = {uid: self._branch_of(uid) for uid in org.units}

    def _branch_of(self, unit_id: str) -> str:
        """The subdistrict-level ancestor (or the unit itself at that level; the root for the root)."""
        path = self.org.path(unit_id)
        return path[-2] if len(path) >= 2 else path[-1]

    # -- matching ----------------------------------------------------------------------------

    def find(self, text: str, source: str = "text") -> list[Match]:
        norm = normalize_term(text)
        out = []
        for end, (key, term, kind, units) in self.automaton.iter_long(norm):
            start = end - len(key) + 1
            if _is_ascii_alnum(key[0]) and start > 0 and _is_ascii_alnum(norm[start - 1]):
                continue
            if _is_ascii_alnum(key[-1]) and end + 1 < len(norm) and _is_ascii_alnum(norm[end + 1]):
                continue
            out.append(Match(term, kind, units, start, end + 1, source))
        return out

    def link(self, text: str, location: str | None = None) -> LinkResult:
        matches = self.find(text)
        if location:
            matches += self.find(location, "location")
        if not matches:
            root = self.org.root.id
            return LinkResult([root], [root], 0.0, {}, {root: 0.0}, [], ["未匹配到任何单位，计入区总工会"], default=True)
        evidence: dict[str, list[float]] = {}
        for m in matches:
            if len(m.units) == 1:
                evidence.setdefault(m.units[0], []).append(_weight(m))
        notes = [self._resolve_shared(m, evidence) for m in matches if len(m.units) > 1]
        scores = {u: 1.0 - _prod(1.0 - w for w in ws) for u, ws in evidence.items()}
        units = self.org.most_specific(scores)
        final = {u: self._confidence(u, scores) for u in units}
        units.sort(key=lambda u: (-final[u], u))
        return LinkResult(units, self.org.path_of(units), max(final.values()), scores, final, matches, notes)

    def _resolve_shared(self, m: Match, evidence: dict[str, list[float]]) -> str:
        """Add the evidence of a term several units share: to those of them in a branch the other
        matches point at, else to all of them at a discount. Returns the note saying which."""
        w = _weight(m)
        branches = {self._branch[u] for u in evidence if u != self.org.root.id}
        chosen = [u for u in m.units if self._branch[u] in branches]
        names = "、".join(self.org.display_name(u) for u in m.units)
        if chosen:
            for u in chosen:
                evidence.setdefault(u, []).append(w)
            return f"“{m.term}”为{names}共用，据上下文归入{'、'.join(self.org.display_name(u) for u in chosen)}"
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
            targets = "、".join(self.org.display_name(u) for u in m.units)
            lines.append(f"{where}第{m.start + 1}字起“{m.term}”：{KIND_NAMES[m.kind]} → {targets}")
        lines.extend(result.notes)
        for u in result.units:
            lines.append(f"关联 {self.org.display_name(u)}（{u}），置信度 {result.unit_confidence.get(u, 0.0):.2f}")
        return lines


def _weight(m: Match) -> float:
    """How much one match says: by its kind, less when it is only in the location field."""
    return KIND_WEIGHT[m.kind] * (LOCATION_FACTOR if m.source == "location" else 1.0)


def _prod(values) -> float:
    out = 1.0
    for v in values:
        out *= v
    return out


class LinkStage:
    """Ingest stage: sets ``org_units``, ``org_path`` and ``link_confidence`` on every post — except
    on a grassroots report (platform ``report``), whose unit its reporter chose: that is kept."""

    name = "link"

    def __init__(self, ctx: Context | None = None, *, org: OrgTree | None = None):
        if org is None:
            if ctx is None:
                raise ValueError("LinkStage needs a context or an OrgTree")
            org = load_org(ctx)
        self.linker = Linker(org)

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
