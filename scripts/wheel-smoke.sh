#!/usr/bin/env bash
# Build the wheel, install it (not editable) into a fresh venv and run it from an empty directory:
# the installed product must find its config, dictionaries, corpus and templates as package data.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "[wheel-smoke] building the wheel"
"$PY" -m pip wheel -q --no-deps -w "$WORK/dist" .
WHEEL="$(ls "$WORK"/dist/yuqing-*.whl)"
echo "[wheel-smoke] $(basename "$WHEEL"): $(python3 -m zipfile -l "$WHEEL" | wc -l) entries"
# nothing generic at the top of site-packages: every file of the wheel lives under yuqing/
bad="$(python3 -m zipfile -l "$WHEEL" | awk 'NR>1 {print $1}' | grep -v -E '^(yuqing/|yuqing-[^/]+\.dist-info/)' || true)"
if [ -n "$bad" ]; then echo "[wheel-smoke] files outside yuqing/: $bad" >&2; exit 1; fi
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --upgrade pip
"$WORK/venv/bin/pip" install -q "$WHEEL"
mkdir "$WORK/run" && cd "$WORK/run"   # no ./config, no source tree: only what was installed
Y="$WORK/venv/bin/yuqing"
set -x
"$Y" --version
"$Y" --help >/dev/null
"$Y" config check
printf '%s\n' '{"content":"公司拖欠工资三个月了，老板跑路了，工友们去劳动监察大队投诉"}' \
              '{"content":"工会组织的职工篮球赛很精彩，感谢工会送温暖"}' | "$Y" classify > classified.jsonl
set +x
"$WORK/venv/bin/python" - <<'PY'
import json
rows = [json.loads(line) for line in open("classified.jsonl", encoding="utf-8")]
assert len(rows) == 2, rows
assert "wage_arrears" in rows[0]["topics"] and rows[0]["sentiment"]["label"] == "negative", rows[0]
assert rows[1]["sentiment"]["label"] == "positive", rows[1]
print("[wheel-smoke] classify:", [(r["topics"], r["sentiment"]["label"]) for r in rows])
PY
"$Y" org show --json > org.json
"$WORK/venv/bin/python" -c "
import json; org = json.load(open('org.json', encoding='utf-8'))
assert org['unit']['id'] == 'chaoyang' and org['counts']['subdistrict'] >= 43, org['counts']
print('[wheel-smoke] org show:', org['unit']['name'], org['counts'])
"
echo "[wheel-smoke] ok"
