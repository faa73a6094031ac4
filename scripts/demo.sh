#!/usr/bin/env bash
# `make demo`: the main job on the embedded default store, over the shipped sample data.
#   ingest (normalise, dedupe, classify, link, store) → stats → alerts → weekly briefing
set -euo pipefail
cd "$(dirname "$0")/.."
export YUQING_DATA_DIR="${YUQING_DATA_DIR:-var/demo}"
Y=.venv/bin/yuqing
SAMPLE=data/sample/posts.jsonl
rm -rf "$YUQING_DATA_DIR"; mkdir -p "$YUQING_DATA_DIR"
echo "== 组织体系 org registry: org.yaml + the official divisions, then an enterprise roster (template)"
$Y org import config/org-import-template.csv --by demo
$Y org show | tail -1
echo "== 入库 ingest $SAMPLE → $YUQING_DATA_DIR"
$Y ingest "$SAMPLE"
echo "== 统计 stats by platform"
$Y stats --by platform
echo "== 话题与情感 topics and sentiment (classified during ingest; model trained on first use from data/corpus)"
$Y stats --by topic --by sentiment
echo '{"content":"公司拖欠工资三个月了，老板还在画大饼，打工人太难了[怒]"}' | $Y classify --explain
echo "== 预警 alerts: replay the sample's last 4 days hour by hour (as the scheduler would), then the incidents"
$Y alerts replay --days 4 --every 1h
$Y alerts list --status open

echo "== 舆情周报 weekly briefing of the newest week in the sample (.docx, .html, .md, charts)"
$Y briefing weekly --week latest
echo
echo "结果在 results are in: $YUQING_DATA_DIR"
echo "周报在 the briefing is in: $YUQING_DATA_DIR/briefings/ (open the .docx and the .html; yuqing briefing list)"
