"""The embedded data: compact, complete, and unable to break out of its script element."""

from __future__ import annotations

import json

import pytest

from harness.report.payload import build_payload, embed_json
from harness.store.records import PASSED
from tests.report.fixtures import PAYLOADS, frame_of, mixed_records, record


@pytest.mark.parametrize(
    "text", [pytest.param(p, id=f"payload-{i}") for i, p in enumerate(PAYLOADS)]
)
def test_embed_json_escapes_markup_and_line_separators(text: str) -> None:
    embedded = str(embed_json({"x": text, "y": "\u2029&"}))
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in embedded
    assert json.loads(embedded) == {"x": text, "y": "\u2029&"}


def test_strings_are_stored_once() -> None:
    records = [record(f"model-{m}", f"case-{c}", PASSED) for m in range(5) for c in range(3)]
    payload = build_payload(frame_of(records))
    assert payload["n"] == 15
    table = payload["s"]
    assert len(table) == len(set(table))
    prompts = [s for s in table if s.startswith("Answer the question")]
    assert len(prompts) == 3  # one per case, shared by five models
    assert payload["prompt"].count(payload["prompt"][0]) == 5


def test_payload_round_trips_every_field_of_a_result() -> None:
    payload = build_payload(frame_of(mixed_records()))
    s = payload["s"]
    i = next(i for i in range(payload["n"]) if s[payload["spec"][i]] == "security")
    assert s[payload["case"][i]] == PAYLOADS[0] + PAYLOADS[3]
    assert s[payload["prompt"][i]] == PAYLOADS[1] + PAYLOADS[2]
    assert json.loads(s[payload["output"][i]])["img"] == PAYLOADS[3]
    assert json.loads(s[payload["tags"][i]]) == [PAYLOADS[0]]
    assertion, passed, score, reason, field, error = payload["verdicts"][i][0]
    assert (s[assertion], passed, score, s[field], error) == ("equals", 0, 0, "answer", -1)
    assert s[reason] == "expected 'X', got 'Y'"
    assert payload["parsed"][i] == -1  # the output is its own JSON: not stored twice
    assert payload["statuses"][payload["status"][i]] == "failed"


def test_repaired_output_keeps_the_parsed_value() -> None:
    rec = record(
        "m", "c", PASSED, output="{'answer': 1,}", parsed_output={"answer": 1}, repaired=True
    )
    payload = build_payload(frame_of([rec]))
    assert json.loads(payload["s"][payload["parsed"][0]]) == {"answer": 1}
    assert payload["repaired"] == [1]
