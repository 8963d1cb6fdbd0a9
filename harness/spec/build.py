"""Build runtime spec objects from validated file models: no checks, no problems.

The loader's last step (parse -> validate -> **build**): everything here takes what
:mod:`harness.spec.validate` accepted and only constructs the frozen dataclasses of
:mod:`harness.spec.types` (spec-level expectations first in every case, inherited
``normalize``, tags, threshold, repeat and transform filled in).
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.expect.registry import split_negation
from harness.spec.models import AssertionFile, SpecFile
from harness.spec.types import Assertion, Case, PromptTemplate, PromptVariant, Spec
from harness.spec.valid_cases import ValidCase
from harness.spec.validate import ValidSpec
from harness.transforms.apply import sources_of


def build_assertion(a: AssertionFile, inherited_normalize: tuple[str, ...]) -> Assertion:
    """One validated expectation as it is evaluated (``not-`` split off into ``negate``)."""
    base, negate = split_negation(a.type)
    extra = dict(a.model_extra or {})
    normalize = tuple(a.normalize) if a.normalize is not None else inherited_normalize
    return Assertion(
        type=base,
        value=a.value,
        field=a.field,
        weight=a.weight,
        threshold=a.threshold,
        negate=negate,
        normalize=normalize,
        options=extra,
        transform=sources_of(a.transform),
    )


def spec_expectations(parsed: SpecFile) -> tuple[Assertion, ...]:
    """The spec-level expectations every case starts with."""
    normalize = tuple(parsed.normalize or ())
    return tuple(build_assertion(a, normalize) for a in parsed.expect)


def build_case(valid: ValidCase, parsed: SpecFile, spec_expect: tuple[Assertion, ...]) -> Case:
    """One validated case, with what it inherits from its spec."""
    model = valid.model
    normalize = tuple(parsed.normalize or ())
    skip = (
        model.skip if isinstance(model.skip, str) else ("skipped in spec" if model.skip else None)
    )
    return Case(
        id=valid.id,
        vars=dict(model.vars),
        expect=spec_expect + tuple(build_assertion(a, normalize) for a in model.expect),
        description=model.description,
        tags=tuple(dict.fromkeys((*parsed.tags, *model.tags))),
        threshold=model.threshold if model.threshold is not None else parsed.threshold,
        repeat=model.repeat or parsed.repeat,
        skip=skip,
        source=valid.source,
        line=valid.line,
        transform=sources_of(model.transform if model.transform else parsed.transform),
        turns=tuple(model.turns or ()),
        max_steps=model.max_steps,
    )


def build_spec(valid: ValidSpec, cases: Sequence[Case], *, name: str) -> Spec:
    """The runtime spec of a validated one, with its (built and checked) cases."""
    parsed = valid.parsed
    base_dir, root = str(valid.base_dir.resolve()), str(valid.root)
    templates = [
        (variant, PromptTemplate(messages, base_dir=base_dir, root=root))
        for variant, messages in valid.variants
    ]
    return Spec(
        name=parsed.name or name,
        path=valid.shown,
        prompt=templates[0][1] if templates else PromptTemplate(()),
        prompts=tuple(PromptVariant(n, t) for n, t in templates if n is not None),
        cases=cases,  # a tuple, or SpecCases re-reading cases files (case_stream.py)
        description=parsed.description,
        models=tuple(parsed.models),
        params={k: v for k, v in parsed.params.model_dump().items() if v is not None},
        schema=valid.schema,
        schema_source=valid.schema_source,
        tools=valid.tools,
        max_steps=parsed.max_steps,
        tags=tuple(parsed.tags),
        threshold=parsed.threshold,
        max_cost=parsed.max_cost,
        batch=parsed.batch,
        judge=parsed.judge,
        content_hash=valid.digest.hexdigest()[:16],
        vars=dict(parsed.vars),
        embedder=parsed.embedder,
        origins=valid.origins,
    )


def prompt_root(valid: ValidSpec) -> tuple[str | None, str | None]:
    """Where includes and message-part files of the spec's templates resolve: (spec
    folder, project root); None for a spec without prompts."""
    if not valid.variants:
        return None, None
    return str(valid.base_dir.resolve()), str(valid.root)
