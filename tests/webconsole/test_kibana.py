"""Kibana saved objects: every field they reference exists in the index templates' mappings (and
is aggregatable where a visualisation buckets on it), the shipped files are what the builder makes,
and ``yuqing kibana export`` rewrites the index prefix consistently."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from yuqing.alerts.index import alerts_index_template
from yuqing.console import kibana
from yuqing.pipeline.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def posts_index_template(prefix: str) -> dict:
    from yuqing.pipeline.store.elastic import posts_index_template as template  # the es area's mapping

    return template(prefix)

AGGREGATABLE = {"keyword", "date", "long", "integer", "float", "double", "boolean", "short", "byte"}


def _shipped() -> list[dict]:
    files = kibana.shipped_files(ROOT / "config")
    assert files, "config/kibana/*.ndjson missing"
    return [o for f in files for o in kibana.read_ndjson(f)]


def _flatten(props: dict, prefix: str = "") -> dict[str, dict]:
    out = {}
    for name, spec in props.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            out.update(_flatten(spec["properties"], path + "."))
        else:
            out[path] = spec
            for sub, sub_spec in (spec.get("fields") or {}).items():
                out[f"{path}.{sub}"] = sub_spec
    return out


def _mappings(prefix: str) -> dict[str, dict[str, dict]]:
    return {f"{prefix}-posts": _flatten(posts_index_template(prefix)["template"]["mappings"]["properties"]),
            f"{prefix}-alerts": _flatten(alerts_index_template(prefix)["template"]["mappings"]["properties"])}


def test_every_referenced_field_is_mapped():
    objects = _shipped()
    views = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert set(views.values()) == {"yuqing-posts", "yuqing-alerts"}
    mappings = _mappings("yuqing")
    checked = 0
    for obj in objects:
        for view, field in kibana.referenced_fields(obj, views):
            assert field in mappings[view], f"{obj['type']} {obj['id']}: {field} is not mapped in {view}"
            checked += 1
        if obj["type"] == "lens":  # buckets and metrics need doc values
            for layer_id, layer in obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].items():
                for col in layer["columns"].values():
                    field = col["sourceField"]
                    if field == "___records___":
                        continue
                    view = views[{r["name"]: r["id"] for r in obj["references"]}[
                        f"indexpattern-datasource-layer-{layer_id}"]]
                    spec = mappings[view][field]
                    assert spec["type"] in AGGREGATABLE and spec.get("doc_values", True), (obj["id"], field)
    assert checked > 30


def test_references_resolve_and_dashboard_panels_exist():
    objects = _shipped()
    ids = {(o["type"], o["id"]) for o in objects}
    assert len(ids) == len(objects), "duplicate saved-object ids"
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']} references missing {ref}"
    board = next(o for o in objects if o["type"] == "dashboard")
    panels = json.loads(board["attributes"]["panelsJSON"])
    refs = {r["name"] for r in board["references"]}
    assert {f"{p['panelIndex']}:{p['panelRefName']}" for p in panels} == refs
    titles = " ".join(o["attributes"]["title"] for o in objects if o["type"] == "lens")
    for word in ("声量", "情感", "话题", "单位"):
        assert word in titles


def test_shipped_files_are_the_builders_output():
    built = kibana.build_objects()
    for name, objs in built.items():
        assert kibana.read_ndjson(ROOT / "config" / "kibana" / name) == json.loads(json.dumps(objs)), \
            f"config/kibana/{name} is stale: run python -m console.kibana config/kibana"


def test_export_rewrites_the_prefix(ctx, tmp_path):
    out = tmp_path / "kibana"
    result = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                       "kibana", "export", "--out", str(out), "--prefix", "ops"])
    assert result.exit_code == 0, result.output
    objects = [o for f in sorted(out.glob("*.ndjson")) for o in kibana.read_ndjson(f)]
    assert len(objects) == len(_shipped())
    views = {o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert views == {"ops-posts", "ops-alerts"}
    ids = {o["id"] for o in objects}
    assert not any(i.startswith("yuqing-") for i in ids)
    for obj in objects:
        assert all(r["id"] in ids for r in obj["references"])
    bad = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                    "kibana", "export", "--out", str(out), "--prefix", "Bad Prefix"])
    assert bad.exit_code != 0 and "Bad Prefix" in bad.output


@pytest.mark.es
def test_fields_as_elasticsearch_sees_them(es_url):
    """Install both templates on the real node and ask field_caps, as Kibana does."""
    prefix = f"yqkib-{uuid.uuid4().hex[:8]}"
    posts_tpl, alerts_tpl = posts_index_template(prefix), alerts_index_template(prefix)
    try:
        for name, body in ((f"{prefix}-posts", posts_tpl), (f"{prefix}-alerts", alerts_tpl)):
            httpx.put(f"{es_url}/_index_template/{name}", json=body, timeout=30).raise_for_status()
        httpx.put(f"{es_url}/{prefix}-posts-2026.11", timeout=30).raise_for_status()
        httpx.put(f"{es_url}/{prefix}-alerts", timeout=30).raise_for_status()
        objects = [kibana.with_prefix(o, prefix) for o in _shipped()]
        views = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
        caps = {}
        for view in views.values():
            pattern = view + "*" if view.endswith("-posts") else view
            resp = httpx.get(f"{es_url}/{pattern}/_field_caps", params={"fields": "*"}, timeout=30)
            resp.raise_for_status()
            caps[view] = resp.json()["fields"]
        for obj in objects:
            for view, field in kibana.referenced_fields(obj, views):
                assert field in caps[view], f"{obj['id']}: {field} unknown to Elasticsearch in {view}"
    finally:
        httpx.delete(f"{es_url}/{prefix}-*", params={"expand_wildcards": "all"}, timeout=30)
        for name in (f"{prefix}-posts", f"{prefix}-alerts"):
            httpx.delete(f"{es_url}/_index_template/{name}", timeout=30)
