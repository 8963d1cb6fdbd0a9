"""Declarations of ``judge``, ``classify``, ``trajectory-judge`` and ``python`` (evaluators
in :mod:`harness.expect.judge`, :mod:`harness.expect.trajectory_judge` and
:mod:`harness.expect.custom`)."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationInfo, field_validator, model_validator

from harness.expect import custom, judge, trajectory_judge
from harness.expect.declare import AssertionType, OptionError, Options, written_type
from harness.expect.kinds.checks import judge_model_problem


class JudgeModelOptions(Options):
    """What every model-graded type takes: the judge model and its sampling options."""

    model: str | None = None
    params: dict[str, Any] | None = None

    @field_validator("model")
    @classmethod
    def _provider(cls, v: str | None) -> str | None:
        problem = judge_model_problem(v)
        if problem:
            raise ValueError(problem)
        return v


class JudgeOptions(JudgeModelOptions):
    """judge: a rubric, as ``rubric`` or as ``value``."""

    value: str | None = None
    rubric: str | None = None

    @model_validator(mode="after")
    def _has_rubric(self) -> JudgeOptions:
        if not (self.rubric or self.value):
            raise ValueError("judge needs a 'rubric' (or the rubric as 'value')")
        return self


class TrajectoryJudgeOptions(JudgeModelOptions):
    """trajectory-judge: a rubric for the whole exchange, as ``rubric`` or as ``value``."""

    value: str | None = None
    rubric: str | None = None

    @model_validator(mode="after")
    def _has_rubric(self, info: ValidationInfo) -> TrajectoryJudgeOptions:
        if not (self.rubric or self.value):
            raise ValueError(f"{written_type(info)} needs a 'rubric' (or the rubric as 'value')")
        return self


class ClassifyOptions(JudgeModelOptions):
    """classify: the labels, and the one that passes."""

    value: str
    labels: list[Any]
    rubric: str | None = None

    @model_validator(mode="after")
    def _value_is_a_label(self) -> ClassifyOptions:
        labels = self.labels
        if not labels or not all(isinstance(x, str) and x for x in labels):
            raise OptionError("labels", "labels must be a non-empty list of texts")
        if len(set(labels)) != len(labels):
            raise OptionError("labels", "labels must not repeat")
        if self.value not in labels:
            hint = difflib.get_close_matches(self.value, labels, n=1)
            more = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise OptionError(
                "value", f"classify value {self.value!r} is not one of the labels{more}"
            )
        return self


class PythonOptions(Options):
    """python: the function, ``pkg.module:function`` or ``file.py:function``."""

    value: str

    @field_validator("value")
    @classmethod
    def _ref(cls, v: str) -> str:
        if ":" not in v:
            raise ValueError(f"python needs 'pkg.module:function' or 'file.py:function', got {v!r}")
        return v


JUDGE = AssertionType(
    "judge",
    "a judge model grades the output against a rubric",
    judge.judge,
    JudgeOptions,
    section="model-graded",
)
CLASSIFY = AssertionType(
    "classify",
    "a judge model picks a label; passes when it is value",
    judge.classify,
    ClassifyOptions,
    section="model-graded",
)
TRAJECTORY_JUDGE = AssertionType(
    "trajectory-judge",
    "a judge model grades the whole exchange (messages, tool calls, results) against a rubric",
    trajectory_judge.trajectory_judge,
    TrajectoryJudgeOptions,
    subject="self",
    section="model-graded",
    looks_at_call=True,
)
PYTHON = AssertionType(
    "python",
    "a Python function `pkg.module:function` decides",
    custom.python,
    PythonOptions,
    section="custom",
)
