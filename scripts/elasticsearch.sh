#!/usr/bin/env bash
# Development/CI Elasticsearch: fetch the integ-test distribution from Maven Central (cached),
# start a single node on 127.0.0.1, wait until it answers, stop it.
#
#   scripts/elasticsearch.sh start|stop|status|url
#
# Environment: ES_PORT (9200), ES_HOME_CACHE (~/.cache/yuqing/elasticsearch), ES_VERSIONS (tried in
# order; the first that resolves is used), ES_JAVA_HOME (a JDK >= 21; found under /usr/lib/jvm).
set -euo pipefail

ES_PORT="${ES_PORT:-9200}"
# Elasticsearch refuses to run as root: as root we run it as the system user ES_USER, and keep the
# cache where that user can read it.
ES_USER="${ES_USER:-yuqing-es}"
if [ "$(id -u)" = 0 ]; then DEFAULT_CACHE=/var/cache/yuqing/elasticsearch; else DEFAULT_CACHE="$HOME/.cache/yuqing/elasticsearch"; fi
CACHE="${ES_HOME_CACHE:-$DEFAULT_CACHE}"
VERSIONS="${ES_VERSIONS:-9.5.4 9.5.3 9.5.2 9.2.0 9.1.0 9.0.0}"
RUN_DIR="$CACHE/run-$ES_PORT"
PID_FILE="$RUN_DIR/es.pid"
URL="http://127.0.0.1:$ES_PORT"

log() { echo "[elasticsearch] $*" >&2; }

find_java() {
  if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return; fi
  for d in /usr/lib/jvm/temurin-2[1-9]* /usr/lib/jvm/*-2[1-9]-* /usr/lib/jvm/java-2[1-9]*; do
    if [ -x "$d/bin/java" ]; then echo "$d"; return; fi
  done
  log "no JDK >= 21 found under /usr/lib/jvm; set ES_JAVA_HOME"; exit 1
}

answering() { curl -fsS --max-time 2 "$URL/_cluster/health" >/dev/null 2>&1; }

install_es() {
  for v in $VERSIONS; do
    if [ -x "$CACHE/elasticsearch-$v/bin/elasticsearch" ]; then echo "$CACHE/elasticsearch-$v"; return; fi
  done
  mkdir -p "$CACHE/download"
  for v in $VERSIONS; do
    log "fetching org.elasticsearch.distribution.integ-test-zip:elasticsearch:$v:zip from Maven Central"
    if mvn -q -B dependency:copy \
        "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$v:zip" \
        "-DoutputDirectory=$CACHE/download" >&2; then
      (cd "$CACHE" && rm -rf "elasticsearch-$v.tmp" && mkdir "elasticsearch-$v.tmp" \
        && unzip -q "download/elasticsearch-$v.zip" -d "elasticsearch-$v.tmp" \
        && mv "elasticsearch-$v.tmp/elasticsearch-$v" "elasticsearch-$v" && rm -rf "elasticsearch-$v.tmp")
      echo "$CACHE/elasticsearch-$v"; return
    fi
    log "version $v did not resolve"
  done
  log "no Elasticsearch 9.x version resolved (tried: $VERSIONS)"; exit 1
}

start() {
  if answering; then log "already answering at $URL"; return 0; fi
  command -v unzip >/dev/null || { log "installing unzip"; apt-get install -y -q unzip >/dev/null; }
  local home java
  home="$(install_es)"
  java="$(find_java)"
  mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs"
  local -a as_user=()
  if [ "$(id -u)" = 0 ]; then
    id -u "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
    chown -R "$ES_USER" "$home" "$RUN_DIR"
    as_user=(runuser -u "$ES_USER" --)
  fi
  log "starting $(basename "$home") on $URL (java: $java)"
  "${as_user[@]}" env ES_JAVA_HOME="$java" ES_JAVA_OPTS="${ES_JAVA_OPTS:--Xms1g -Xmx1g}" \
    "$home/bin/elasticsearch" -d -p "$PID_FILE" \
      -E "path.data=$RUN_DIR/data" -E "path.logs=$RUN_DIR/logs" \
      -E network.host=127.0.0.1 -E "http.port=$ES_PORT" -E transport.port=$((ES_PORT + 100)) \
      -E discovery.type=single-node -E xpack.security.enabled=false \
      -E cluster.routing.allocation.disk.threshold_enabled=false \
      -E action.destructive_requires_name=false \
      >"$RUN_DIR/logs/stdout.log" 2>&1 || { cat "$RUN_DIR/logs/stdout.log" >&2; exit 1; }
  for _ in $(seq 1 120); do
    if answering; then log "up at $URL"; return 0; fi
    sleep 1
  done
  log "did not answer within 120 s; last log lines:"; tail -30 "$RUN_DIR"/logs/*.log >&2 || true
  exit 1
}

stop() {
  if [ -f "$PID_FILE" ]; then
    local pid; pid="$(cat "$PID_FILE")"
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      log "stopped (pid $pid)"
    fi
    rm -f "$PID_FILE"
  else
    log "not started by this script"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answering; then curl -fsS "$URL/_cluster/health?pretty"; else echo "not running at $URL"; exit 1; fi ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
