"""Kibana saved objects for analysts: data views over ``{prefix}-posts`` and ``{prefix}-alerts``,
saved searches, Lens visualisations and a dashboard of volume, sentiment, topics and units.

The shipped objects live in ``config/kibana/*.ndjson`` (Kibana 9 saved-object export format, one JSON
object a line), written from :func:`build_objects` by ``python -m yuqing.console.kibana config/kibana``.
``yuqing kibana export --out DIR --prefix P`` copies them with the index prefix rewritten (data view
titles and every object id that starts with ``yuqing-``), ready for Stack Management → Saved objects →
Import. :func:`referenced_fields` lists every field an object uses, so a test can hold them to the
index templates' mappings.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

SHIPPED_PREFIX = "yuqing"
POSTS_VIEW = "yuqing-posts"
ALERTS_VIEW = "yuqing-alerts"
CORE_MIGRATION = "8.8.0"
TYPE_MIGRATION = {"index-pattern": "8.0.0", "search": "10.5.0", "lens": "8.9.0", "dashboard": "10.2.0"}

# --- builders ----------------------------------------------------------------------------------


def _obj(type_: str, id_: str, attributes: dict, references: list[dict] | None = None) -> dict:
    return {"attributes": attributes, "coreMigrationVersion": CORE_MIGRATION, "id": id_, "managed": False,
            "references": references or [], "type": type_, "typeMigrationVersion": TYPE_MIGRATION[type_]}


def data_view(id_: str, title: str, name: str, time_field: str) -> dict:
    return _obj("index-pattern", id_, {"title": title, "name": name, "timeFieldName": time_field,
                                       "allowNoIndex": True, "fieldFormatMap": "{}", "fields": "[]",
                                       "runtimeFieldMap": "{}", "sourceFilters": "[]", "fieldAttrs": "{}"})


def saved_search(id_: str, title: str, view: str, query: str, columns: list[str], sort_field: str,
                 description: str = "") -> dict:
    source = {"query": {"query": query, "language": "kuery"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return _obj("search", id_, {"title": title, "description": description, "columns": columns,
                                "sort": [[sort_field, "desc"]], "grid": {}, "hideChart": False,
                                "isTextBasedQuery": False,
                                "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, ensure_ascii=False)}},
                [{"id": view, "name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern"}])


def _date_col(field: str, label: str) -> dict:
    return {"label": label, "dataType": "date", "operationType": "date_histogram", "sourceField": field,
            "isBucketed": True, "scale": "interval", "params": {"interval": "auto", "includeEmptyRows": True}}


def _count_col(label: str) -> dict:
    return {"label": label, "dataType": "number", "operationType": "count", "sourceField": "___records___",
            "isBucketed": False, "scale": "ratio", "params": {"emptyAsNull": True}}


def _terms_col(field: str, label: str, size: int, order_by: str) -> dict:
    return {"label": label, "dataType": "string", "operationType": "terms", "sourceField": field,
            "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by},
                       "orderDirection": "desc", "otherBucket": True, "missingBucket": False}}


def lens_xy(id_: str, title: str, view: str, columns: dict[str, dict], *, x: str, y: str, split: str | None,
            series_type: str, query: str = "", description: str = "") -> dict:
    layer = {"layerId": "layer1", "layerType": "data", "seriesType": series_type, "xAccessor": x,
             "accessors": [y], "position": "top", "showGridlines": False}
    if split:
        layer["splitAccessor"] = split
    state = {
        "datasourceStates": {"formBased": {"layers": {"layer1": {"columns": columns, "columnOrder": list(columns),
                                                                  "incompleteColumns": {}}}}},
        "visualization": {"preferredSeriesType": series_type, "layers": [layer],
                          "legend": {"isVisible": True, "position": "right"}, "valueLabels": "hide",
                          "fittingFunction": "None", "axisTitlesVisibilitySettings":
                              {"x": True, "yLeft": True, "yRight": True}},
        "query": {"query": query, "language": "kuery"}, "filters": [], "internalReferences": [],
        "adHocDataViews": {},
    }
    return _obj("lens", id_, {"title": title, "description": description, "visualizationType": "lnsXY",
                              "state": state},
                [{"id": view, "name": "indexpattern-datasource-layer-layer1", "type": "index-pattern"}])


def lens_metric(id_: str, title: str, view: str, label: str, query: str = "") -> dict:
    state = {
        "datasourceStates": {"formBased": {"layers": {"layer1": {"columns": {"m": _count_col(label)},
                                                                  "columnOrder": ["m"], "incompleteColumns": {}}}}},
        "visualization": {"layerId": "layer1", "layerType": "data", "metricAccessor": "m"},
        "query": {"query": query, "language": "kuery"}, "filters": [], "internalReferences": [],
        "adHocDataViews": {},
    }
    return _obj("lens", id_, {"title": title, "description": "", "visualizationType": "lnsMetric", "state": state},
                [{"id": view, "name": "indexpattern-datasource-layer-layer1", "type": "index-pattern"}])


def dashboard(id_: str, title: str, panels: list[tuple[str, int, int, int, int]], description: str = "") -> dict:
    """``panels``: (lens id, x, y, w, h) on Kibana's 48-column grid."""
    pj, refs = [], []
    for n, (lens_id, x, y, w, h) in enumerate(panels, 1):
        pid = f"p{n}"
        pj.append({"type": "lens", "panelIndex": pid, "gridData": {"x": x, "y": y, "w": w, "h": h, "i": pid},
                   "embeddableConfig": {"enhancements": {}}, "panelRefName": f"panel_{pid}"})
        refs.append({"id": lens_id, "name": f"{pid}:panel_{pid}", "type": "lens"})
    source = {"query": {"query": "", "language": "kuery"}, "filter": []}
    return _obj("dashboard", id_, {
        "title": title, "description": description, "panelsJSON": json.dumps(pj, ensure_ascii=False),
        "optionsJSON": json.dumps({"useMargins": True, "syncColors": True, "syncCursor": True,
                                   "syncTooltips": True, "hidePanelTitles": False}),
        "timeRestore": True, "timeFrom": "now-7d", "timeTo": "now",
        "refreshInterval": {"pause": False, "value": 300000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)}}, refs)


def build_objects() -> dict[str, list[dict]]:
    """The shipped objects, by file name (prefix ``yuqing``)."""
    P, A = POSTS_VIEW, ALERTS_VIEW
    views = [data_view(P, "yuqing-posts", "舆情帖文 yuqing-posts", "published_at"),
             data_view(A, "yuqing-alerts", "舆情预警 yuqing-alerts", "created_at")]
    searches = [
        saved_search("yuqing-search-negative", "负面帖文", P, 'sentiment.label : "negative"',
                     ["platform", "title", "content", "topics", "org_units", "author.name", "url"], "published_at",
                     "情感为负面的帖文，最新在前"),
        saved_search("yuqing-search-originals", "原创帖文（去除转发重复）", P, "not dup_of : *",
                     ["platform", "title", "content", "topics", "sentiment.label", "org_units"], "published_at",
                     "不含近似重复的帖文：一个转发风暴只看一次"),
        saved_search("yuqing-search-unlinked", "未关联到单位的帖文", P, "not org_units : *",
                     ["platform", "title", "content", "topics", "sentiment.label", "source"], "published_at",
                     "没有关联到任何工会单位的帖文，用于检查单位关联规则"),
        saved_search("yuqing-search-open-alerts", "未办结预警", A, 'status : ("open" or "acknowledged")',
                     ["unit_name", "topic", "level", "status", "severity", "escalation_level"], "created_at",
                     "待处置和已确认的预警事件"),
    ]
    lens = [
        lens_metric("yuqing-lens-total", "帖文总数", P, "帖文"),
        lens_metric("yuqing-lens-negative-total", "负面帖文数", P, "负面帖文", 'sentiment.label : "negative"'),
        lens_xy("yuqing-lens-volume", "声量（按平台）", P,
                {"x": _date_col("published_at", "发布时间"), "y": _count_col("帖文数"),
                 "s": _terms_col("platform", "平台", 5, "y")}, x="x", y="y", split="s", series_type="bar_stacked"),
        lens_xy("yuqing-lens-sentiment", "情感走势", P,
                {"x": _date_col("published_at", "发布时间"), "y": _count_col("帖文数"),
                 "s": _terms_col("sentiment.label", "情感", 3, "y")}, x="x", y="y", split="s",
                series_type="area_percentage_stacked"),
        lens_xy("yuqing-lens-topics", "话题分布（按情感）", P,
                {"x": _terms_col("topics", "话题", 15, "y"), "y": _count_col("帖文数"),
                 "s": _terms_col("sentiment.label", "情感", 3, "y")}, x="x", y="y", split="s",
                series_type="bar_horizontal_stacked"),
        lens_xy("yuqing-lens-units", "单位声量（最具体的关联单位）", P,
                {"x": _terms_col("org_units", "单位", 20, "y"), "y": _count_col("帖文数"),
                 "s": _terms_col("sentiment.label", "情感", 3, "y")}, x="x", y="y", split="s",
                series_type="bar_horizontal_stacked"),
        lens_xy("yuqing-lens-alerts", "预警（按状态）", A,
                {"x": _date_col("created_at", "预警时间"), "y": _count_col("预警数"),
                 "s": _terms_col("status", "状态", 3, "y")}, x="x", y="y", split="s", series_type="bar_stacked"),
    ]
    board = dashboard("yuqing-dashboard-overview", "舆情总览：声量、情感、话题、单位",
                      [("yuqing-lens-total", 0, 0, 12, 8), ("yuqing-lens-negative-total", 12, 0, 12, 8),
                       ("yuqing-lens-alerts", 24, 0, 24, 8),
                       ("yuqing-lens-volume", 0, 8, 24, 14), ("yuqing-lens-sentiment", 24, 8, 24, 14),
                       ("yuqing-lens-topics", 0, 22, 24, 18), ("yuqing-lens-units", 24, 22, 24, 18)],
                      "朝阳区总工会舆情监测总览。时间默认近7天，每5分钟刷新。")
    return {"data-views.ndjson": views, "searches.ndjson": searches, "visualizations.ndjson": lens,
            "dashboards.ndjson": [board]}


# --- files ------------------------------------------------------------------------------------


def write_ndjson(path: Path, objects: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(o, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for o in objects]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def read_ndjson(path: Path) -> list[dict]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg} at column {exc.colno})") from exc
    return out


def shipped_files(config_dir: Path) -> list[Path]:
    return sorted((Path(config_dir) / "kibana").glob("*.ndjson"))


def _re_prefix(value: str, prefix: str) -> str:
    return prefix + value[len(SHIPPED_PREFIX):] if value.startswith(SHIPPED_PREFIX + "-") else value


def with_prefix(obj: dict, prefix: str) -> dict:
    """The object pointed at ``{prefix}-posts``/``{prefix}-alerts``, ids rewritten to match."""
    if prefix == SHIPPED_PREFIX:
        return obj
    obj = json.loads(json.dumps(obj))
    obj["id"] = _re_prefix(obj["id"], prefix)
    for ref in obj.get("references", []):
        ref["id"] = _re_prefix(ref["id"], prefix)
    if obj["type"] == "index-pattern":
        obj["attributes"]["title"] = _re_prefix(obj["attributes"]["title"], prefix)
        obj["attributes"]["name"] = obj["attributes"]["name"].replace(f"{SHIPPED_PREFIX}-", f"{prefix}-")
    return obj


def export(config_dir: Path, out_dir: Path, prefix: str) -> list[tuple[Path, int]]:
    """Write the shipped objects (``config_dir/kibana``, else the built-in set) with ``prefix``."""
    if not re.match(r"^[a-z][a-z0-9_-]*$", prefix):
        raise ValueError(f"index prefix {prefix!r}: lower-case letters, digits, - and _, starting with a letter")
    files = {p.name: read_ndjson(p) for p in shipped_files(config_dir)} or build_objects()
    return [(out_dir / name, write_ndjson(out_dir / name, [with_prefix(o, prefix) for o in objs]))
            for name, objs in sorted(files.items())]


# --- field references (for the mapping check) -------------------------------------------------

_KQL_FIELD = re.compile(r"(?:^|[\s(])(?:not\s+)?([A-Za-z_][\w.]*)\s*:")


def referenced_fields(obj: dict, views: dict[str, str]) -> set[tuple[str, str]]:
    """(data view title, field) pairs an object uses. ``views``: data view id → title."""
    out: set[tuple[str, str]] = set()
    refs = {r["name"]: r["id"] for r in obj.get("references", [])}
    attrs = obj["attributes"]

    def add_query(view: str, text: str) -> None:
        for m in _KQL_FIELD.finditer(text or ""):
            out.add((view, m.group(1)))

    if obj["type"] == "index-pattern":
        out.add((attrs["title"], attrs["timeFieldName"]))
    elif obj["type"] == "search":
        view = views[refs["kibanaSavedObjectMeta.searchSourceJSON.index"]]
        out.update((view, c) for c in attrs.get("columns", []))
        out.update((view, s[0]) for s in attrs.get("sort", []))
        add_query(view, json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"])
    elif obj["type"] == "lens":
        state = attrs["state"]
        for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
            view = views[refs[f"indexpattern-datasource-layer-{layer_id}"]]
            for col in layer["columns"].values():
                if col.get("sourceField") and col["sourceField"] != "___records___":
                    out.add((view, col["sourceField"]))
                add_query(view, (col.get("filter") or {}).get("query", ""))
            add_query(view, state["query"]["query"])
    return out


if __name__ == "__main__":  # python -m yuqing.console.kibana config/kibana
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "config/kibana")
    for name, objs in build_objects().items():
        print(target / name, write_ndjson(target / name, objs))
