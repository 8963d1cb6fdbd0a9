"""harness.yaml: the contract example, lookup upward, and precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import find_config, load_config
from harness.drivers.registry import provider_settings
from harness.errors import SpecError

CONTRACT = """\
providers:
  bench:                       # usable as bench:<any model name>
    type: openai               # openai | anthropic | gemini | ollama | llamacpp
    base_url: http://127.0.0.1:18080/v1
    api_key_env: BENCH_API_KEY # optional; keys only ever come from the environment
    concurrency: 64
models:
  bench:fake-model:
    price: {input_per_mtok: 0.10, output_per_mtok: 0.40}
"""


def test_contract_example(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text(CONTRACT)
    config = load_config(start=tmp_path)
    bench = config.providers["bench"]
    assert (bench.type, bench.base_url, bench.api_key_env, bench.concurrency) == (
        "openai",
        "http://127.0.0.1:18080/v1",
        "BENCH_API_KEY",
        64,
    )
    price = config.prices["bench:fake-model"]
    assert (price.input_per_mtok, price.output_per_mtok) == (0.10, 0.40)
    assert provider_settings("bench", config) is bench


def test_concurrency_auto_and_patience(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text(
        "providers:\n"
        "  a: {type: openai, concurrency: auto, rate_limit_patience: 20m}\n"
        "  b: {type: openai, rate_limit_patience: 90}\n"
        "  c: {type: openai}\n"
    )
    config = load_config(start=tmp_path)
    a, b, c = (config.providers[n] for n in "abc")
    assert (a.concurrency, a.rate_limit_patience) == ("auto", 1200.0)
    assert b.rate_limit_patience == 90.0
    assert (c.concurrency, c.rate_limit_patience) == (None, 600.0)


def test_found_upward_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text(CONTRACT)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "harness.yaml"
    assert load_config(start=deep).root == tmp_path.resolve()


def test_no_config_gives_defaults(tmp_path: Path) -> None:
    config = load_config(start=tmp_path)
    assert config.path is None and config.providers == {}
    assert config.store_path == tmp_path.resolve() / "reports" / "harness.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "providers:\n  x: {type: opanai}\n",
            "harness.yaml:2:13: providers.x.type: input should be 'openai', 'anthropic', 'gemini', 'ollama', 'llamacpp' or 'echo' (got 'opanai')",
            id="bad-type",
        ),
        pytest.param(
            "providers:\n  x: {type: openai, api_key: sk-123}\n",
            "harness.yaml:2:21: providers.x.api_key: unknown key 'api_key' (did you mean 'api_key_env'?)",
            id="key-in-file",
        ),
        pytest.param(
            "models:\n  a:b:\n    price: {input_per_mtok: -1, output_per_mtok: 1}\n",
            "harness.yaml:3:29: models.a:b.price.input_per_mtok: input should be greater than or equal to 0",
            id="negative-price",
        ),
        pytest.param("a: [\n", "harness.yaml:2:1: YAML syntax error", id="syntax"),
        pytest.param(
            "providers:\n  x: {type: openai, rate_limit_patience: soon}\n",
            "harness.yaml:2:42: providers.x.rate_limit_patience: 'soon' is not a duration: give seconds (600) or a number with a unit (90s, 10m, 1h)",
            id="bad-patience",
        ),
    ],
)
def test_errors_point_at_the_key(
    tmp_path: Path, text: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "harness.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as info:
        load_config()
    assert str(info.value.problems[0]).startswith(expected)


def test_provider_of_known_type_without_base_url_gets_official_endpoint(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text(
        "providers:\n  claude: {type: anthropic}\n  mine: {type: openai, base_url: 'http://127.0.0.1:9/v1'}\n"
    )
    config = load_config(start=tmp_path)
    claude = provider_settings("claude", config)
    assert (claude.base_url, claude.api_key_env) == (
        "https://api.anthropic.com",
        "ANTHROPIC_API_KEY",
    )
    mine = provider_settings("mine", config)
    assert (mine.base_url, mine.api_key_env) == ("http://127.0.0.1:9/v1", None)
