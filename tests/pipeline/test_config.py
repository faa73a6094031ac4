"""Configuration fails fast with file, key and reason; the environment overrides secrets."""

import pytest

from yuqing.pipeline.core.config import ConfigError, load_settings
from yuqing.pipeline.core.context import Context


def test_defaults_and_env_selects_elasticsearch(config_dir):
    s = load_settings(config_dir, environ={})
    assert s.store.backend == "sqlite"
    s = load_settings(config_dir, environ={"YUQING_ES_URL": "https://es.example:9200",
                                           "YUQING_ES_API_KEY": "k", "YUQING_ES_CA_CERTS": "/ca.pem"})
    assert s.store.backend == "elasticsearch"
    assert s.store.elasticsearch.url == "https://es.example:9200"
    assert s.store.elasticsearch.api_key == "k" and s.store.elasticsearch.ca_certs == "/ca.pem"
    s = load_settings(config_dir, environ={"YUQING_ES_URL": "http://x:9200", "YUQING_STORE": "sqlite"})
    assert s.store.backend == "sqlite"


@pytest.mark.parametrize("text, key, words", [
    ("store:\n  backend: mongodb\n", "store.backend", "sqlite"),
    ("store:\n  elasticsearch:\n    request_timeout: soon\n", "store.elasticsearch.request_timeout", "number"),
    ("dedupe:\n  min_jaccard: 1.5\n", "dedupe.min_jaccard", "less than or equal"),
    ("ingest:\n  batchsize: 10\n", "ingest.batchsize", "Extra inputs"),
    ("store: [1, 2\n", "", "invalid YAML: line"),
    ("- a\n- b\n", "", "mapping"),
])
def test_invalid_settings_name_file_key_reason(config_dir, text, key, words):
    (config_dir / "settings.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config_dir, environ={})
    assert info.value.key == key
    assert words in info.value.reason
    assert "settings.yaml" in str(info.value)


def test_bad_env_value_is_named(config_dir):
    with pytest.raises(ConfigError) as info:
        load_settings(config_dir, environ={"YUQING_SMTP_PORT": "twenty-five"})
    assert info.value.key == "notify.smtp.port"
    assert "environment" in info.value.file


def test_unknown_timezone_and_missing_dir(tmp_path, config_dir):
    (config_dir / "settings.yaml").write_text("timezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="timezone"):
        Context.load(config_dir, tmp_path / "var", environ={})
    with pytest.raises(ConfigError, match="config directory not found"):
        Context.load(tmp_path / "nope", tmp_path / "var", environ={})
