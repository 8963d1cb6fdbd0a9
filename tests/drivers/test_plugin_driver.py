"""A third-party driver, installed as a package, gets what built-ins get from harness.yaml.

The package is real metadata on ``sys.path`` (a ``.dist-info`` with an
``entry_points.txt`` registering ``harness.drivers: acme``), found the way pip-installed
plugins are: through ``importlib.metadata``.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

import harness
from harness.config import load_config
from harness.errors import SpecError
from harness.spec.load import load_specs
from harness.store.sqlite import Store

DRIVER = '''
"""A tiny third-party driver: answers with what it was configured with."""
from harness.drivers.base import Driver, Response, Usage


class AcmeDriver(Driver):
    async def complete(self, request):
        s = self.settings
        text = (
            f"{request.messages[-1].text} | url={s.base_url} key_env={s.api_key_env} "
            f"concurrency={s.concurrency} greeting={s.options.get('greeting')} "
            f"offline={s.mode.offline}"
        )
        return Response(text=text, provider=s.name, model=request.model, usage=Usage(1, 1))

    def stream(self, request):
        raise NotImplementedError

    async def aclose(self):
        return None
'''


def install_plugin(site: Path) -> None:
    """Write the package and its dist-info (what ``pip install acme-harness-driver`` leaves)."""
    (site / "acme_driver.py").write_text(textwrap.dedent(DRIVER))
    info = site / "acme_harness_driver-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-harness-driver\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text("[harness.drivers]\nacme = acme_driver:AcmeDriver\n")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from harness.drivers import registry

    registry._plugin_names.cache_clear()  # the plugin is seen only while it is installed
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site)
    monkeypatch.syspath_prepend(str(site))
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "harness.yaml").write_text(
        "providers:\n"
        "  corp:\n"
        "    type: acme\n"
        "    base_url: http://acme.invalid/v1\n"
        "    api_key_env: ACME_KEY\n"
        "    concurrency: 3\n"
        "    options: {greeting: hello}\n"
    )
    (root / "specs" / "hello.yaml").write_text(
        "name: hello\nmodels: [corp:m1]\nprompt: 'say {{ word }}'\n"
        "cases:\n  - id: one\n    vars: {word: hi}\n    expect: [{type: contains, value: 'say hi'}]\n"
    )
    yield root
    monkeypatch.undo()
    registry._plugin_names.cache_clear()


def test_a_spec_runs_through_a_driver_installed_as_a_package(project: Path) -> None:
    config = load_config(project / "harness.yaml")
    specs, problems = load_specs([project / "specs"], config)
    assert problems == []
    with Store.open(project / "harness.db") as store:
        result = harness.run(
            specs,
            config,
            harness.RunOptions(record_mode="none", progress=False),
            store=store,
            console=Console(file=io.StringIO()),
        )
        records = list(store.iter_results(result.run_id))
    assert result.count("passed") == 1
    assert records[0].output == (
        "say hi | url=http://acme.invalid/v1 key_env=ACME_KEY concurrency=3 "
        "greeting=hello offline=True"
    )


def test_an_unregistered_type_is_still_refused(project: Path) -> None:
    text = (project / "harness.yaml").read_text().replace("type: acme", "type: acmee")
    (project / "harness.yaml").write_text(text)
    with pytest.raises(SpecError, match=r"providers\.corp\.type: input should be .*'acme'"):
        load_config(project / "harness.yaml")
