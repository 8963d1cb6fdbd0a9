"""Options: --record-mode shared with pytest-recording, ini keys, bad values."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import INI, write_config

pytest_plugins = ["pytester"]

CASSETTE = "cassettes/greet/john/fake/echo-1.yaml"


def test_replays_with_pytest_recordings_record_mode(project: pytest.Pytester) -> None:
    assert project.parseconfig().pluginmanager.has_plugin("recording")
    project.runpytest("--record-mode", "once").assert_outcomes(passed=1, failed=1)
    assert (project.path / CASSETTE).is_file()
    write_config(project.path, "http://127.0.0.1:9")  # nothing listens: only replay can pass
    project.runpytest("--record-mode", "none").assert_outcomes(passed=1, failed=1)


def test_replay_only_without_cassette_is_an_item_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--record-mode", "none", "-k", "john")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["greet › john on fake:echo-1: error", "error:", "    Cassette*"])


def test_own_record_mode_flag_without_pytest_recording(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "no:recording", "--record-mode", "off")
    result.assert_outcomes(passed=1, failed=1)
    assert not (project.path / "cassettes").exists()


def test_record_mode_flag_is_declared_once(project: pytest.Pytester) -> None:
    result = project.runpytest("--help")
    assert result.stdout.str().count("--record-mode") == 1


def test_ini_keys_set_the_options(project: pytest.Pytester) -> None:
    project.makefile(
        ".ini",
        pytest=INI
        + "harness_models = fake:a fake:b\nharness_repeat = 2\nharness_record_mode = once\n",
    )
    result = project.runpytest("-k", "john")
    result.assert_outcomes(passed=4, deselected=4)
    assert (project.path / "cassettes/greet/john/fake/a.attempt-2.yaml").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--harness-concurrency", "0"], "--harness-concurrency must be*", id="concurrency"
        ),
        pytest.param(["--repeat", "x"], "--repeat must be*", id="repeat"),
        pytest.param(["--models", "nowhere:m"], "*unknown provider 'nowhere'*", id="models"),
    ],
)
def test_bad_values_are_usage_errors(
    project: pytest.Pytester, args: list[str], message: str
) -> None:
    result = project.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*harness: {message}"])
