"""Reference overlap: our numbers are the reference implementations' on a fixed corpus."""

from __future__ import annotations

import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.metrics.distance import edit_distance
from rouge_score import rouge_scorer

from harness.expect.metrics import overlap
from harness.expect.registry import check_assertion
from harness.spec.types import Assertion
from tests.expect.helpers import assert_verdict, check

A = Assertion

# (prediction, reference): paraphrases, reordering, punctuation, numbers, repeats, empties
CORPUS = [
    ("The cat sat on the mat.", "The cat is on the mat."),
    ("Paris is the capital of France.", "The capital of France is Paris."),
    ("", "The cat"),
    ("The cat", ""),
    ("a b c d e", "a b c d e"),
    ("Hello, world! 3.14-5 it's $100 (approx).", "Hello world, it is about $100."),
    ("x", "y"),
    ("the the the the", "the cat"),
    ("One two three four five six seven", "one two three four five six seven eight nine ten"),
    ("The quick brown fox jumps over the lazy dog", "A quick brown dog jumps over the lazy fox"),
    ("It was 1,000.5 km away -- roughly.", "It was about 1,000.5 km away."),
    ('New-York\'s mayor said: "no".', "The mayor of New York said no."),
    ("Water boils at 100 degrees Celsius at sea level.", "At sea level, water boils at 100 °C."),
    ("I don't know.", "Unknown"),
    ("Use & and < or > in HTML &amp; XML", "Use &amp; and &lt; in HTML & XML"),
    ("line one\nline two-\nthree", "line one line twothree"),
    ("e.g. U.S.A. vs. UK", "e.g. USA vs UK"),
    ("Bonjour, ça va? Très bien.", "Bonjour, ça va bien."),
]
PAIRS = [pytest.param(p, r, id=f"pair{i}") for i, (p, r) in enumerate(CORPUS)]
# rouge-score drops non-ASCII letters; ours keeps them (see the test after this one)
ASCII_PAIRS = [
    pytest.param(p, r, id=f"pair{i}") for i, (p, r) in enumerate(CORPUS) if (p + r).isascii()
]
SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rouge3", "rougeL"])


@pytest.mark.parametrize(("prediction", "reference"), ASCII_PAIRS)
def test_rouge_is_rouge_scores(prediction: str, reference: str) -> None:
    want = SCORER.score(reference, prediction)
    got = {
        "rouge1": overlap.rouge_n(prediction, reference, 1),
        "rouge2": overlap.rouge_n(prediction, reference, 2),
        "rouge3": overlap.rouge_n(prediction, reference, 3),
        "rougeL": overlap.rouge_l(prediction, reference),
    }
    for key, ours in got.items():
        ref = want[key]
        assert (ours.precision, ours.recall, ours.f) == pytest.approx(
            (ref.precision, ref.recall, ref.fmeasure), abs=1e-12
        ), key


def test_rouge_keeps_non_ascii_letters() -> None:
    got = overlap.rouge_n("ça va très bien", "ça va bien", 1)
    assert (got.precision, got.recall) == (0.75, 1.0)


@pytest.mark.parametrize(("prediction", "reference"), PAIRS)
def test_bleu_is_sacrebleus_sentence_bleu(prediction: str, reference: str) -> None:
    want = sacrebleu.sentence_bleu(prediction, [reference]).score / 100
    assert overlap.bleu(prediction, [reference]) == pytest.approx(want, abs=1e-12)


def test_bleu_with_several_references_is_sacrebleus() -> None:
    refs = ["The cat is on the mat.", "There is a cat on the mat.", "A cat sits on a mat"]
    for prediction, _ in CORPUS:
        want = sacrebleu.sentence_bleu(prediction, refs).score / 100
        assert overlap.bleu(prediction, refs) == pytest.approx(want, abs=1e-12), prediction


@pytest.mark.parametrize(("prediction", "reference"), PAIRS)
def test_levenshtein_is_nltks_edit_distance(prediction: str, reference: str) -> None:
    v = check(A("levenshtein", reference, threshold=10_000), prediction)
    assert f"edit distance {edit_distance(prediction, reference)} <=" in v.reason


@pytest.mark.parametrize(
    ("prediction", "reference", "f1", "em"),
    [
        # by hand, as the SQuAD v1.1 script computes them
        pytest.param("The Eiffel Tower", "eiffel tower", 1.0, True, id="articles-and-case"),
        pytest.param("Denver Broncos!", "Denver Broncos", 1.0, True, id="punctuation"),
        pytest.param("the Broncos of Denver", "Denver Broncos", 0.8, False, id="partial"),
        pytest.param("a an the", "", 1.0, True, id="both-empty-after-normalizing"),
        pytest.param("Paris", "", 0.0, False, id="one-empty"),
        pytest.param("1,000 km", "1000 km", 1.0, True, id="comma-is-punctuation"),
        pytest.param("cat cat dog", "cat dog dog", 2 / 3, False, id="counts-clipped"),
    ],
)
def test_f1_and_exact_match_follow_the_squad_script(
    prediction: str, reference: str, f1: float, em: bool
) -> None:
    assert overlap.squad_f1(prediction, reference) == pytest.approx(f1)
    assert overlap.exact_match(prediction, reference) is em


@pytest.mark.parametrize(
    ("assertion", "text", "passed", "reason"),
    [
        pytest.param(
            A("rouge-n", "The cat is on the mat."),
            "The cat sat on the mat.",
            True,
            "rouge-1 f 0.83 >= 0.75 against 'The cat is on the mat.'",
            id="rouge-1-pass",
        ),
        pytest.param(
            A("rouge-n", "The cat is on the mat.", options={"n": 2}),
            "The cat sat on the mat.",
            False,
            "rouge-2 f 0.60 < 0.75",
            id="rouge-2-fail",
        ),
        pytest.param(
            A("rouge-n", "The cat is on the mat.", options={"variant": "recall"}, threshold=0.9),
            "The cat sat on the mat.",
            False,
            "rouge-1 recall 0.83 < 0.90",
            id="recall",
        ),
        pytest.param(
            A("rouge-l", ["Paris is big", "The capital of France is Paris."]),
            "Paris is the capital of France.",
            False,
            "(best of 2)",
            id="rouge-l-best-of",
        ),
        pytest.param(
            A("bleu", "The cat is on the mat."),
            "The cat is on the mat.",
            True,
            "bleu 1.00 >= 0.50",
            id="bleu",
        ),
        pytest.param(
            A("f1", "Denver Broncos"), "the Broncos of Denver", True, "f1 0.80 >= 0.50", id="f1"
        ),
        pytest.param(
            A("exact-match", ["eiffel tower", "tour eiffel"]),
            "The Eiffel Tower.",
            True,
            "matches 'eiffel tower' after normalization",
            id="exact-match",
        ),
        pytest.param(
            A("exact-match", "Paris"),
            "It is Paris.",
            False,
            "normalized 'it is paris' matches none of ['Paris']",
            id="exact-match-fail",
        ),
        pytest.param(
            A("levenshtein", "kitten"), "sitting", True, "edit distance 3 <= 5", id="levenshtein"
        ),
        pytest.param(
            A("levenshtein", "kitten", threshold=2),
            "sitting",
            False,
            "edit distance 3 > 2 to 'kitten'",
            id="levenshtein-threshold-is-a-distance",
        ),
    ],
)
def test_overlap_verdicts(assertion: Assertion, text: str, passed: bool, reason: str) -> None:
    assert_verdict(check(assertion, text), passed, reason)


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        pytest.param({"type": "rouge-n", "value": "x", "n": 0}, "n", "from 1 to 9", id="n"),
        pytest.param(
            {"type": "rouge-l", "value": "x", "variant": "f1"},
            "variant",
            "'precision'",
            id="variant",
        ),
        pytest.param({"type": "bleu", "value": []}, "value", "at least one reference", id="refs"),
        pytest.param(
            {"type": "levenshtein", "value": "x", "threshold": -1},
            "threshold",
            "edit distance: zero or more",
            id="distance",
        ),
    ],
)
def test_overlap_option_problems(data: dict[str, object], key: str, message: str) -> None:
    problems = check_assertion(data)
    assert any(k == key and message in m for k, m in problems), problems


def test_levenshtein_takes_a_distance_threshold_above_one() -> None:
    assert check_assertion({"type": "levenshtein", "value": "kitten", "threshold": 3}) == []


def test_lcs_is_the_textbook_table() -> None:
    import random

    def table(a: list[str], b: list[str]) -> int:
        rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, x in enumerate(a, 1):
            for j, y in enumerate(b, 1):
                rows[i][j] = (
                    rows[i - 1][j - 1] + 1 if x == y else max(rows[i - 1][j], rows[i][j - 1])
                )
        return rows[-1][-1]

    rng = random.Random(7)
    for _ in range(300):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 25))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 25))]
        assert overlap.lcs_length(a, b) == table(a, b)


_WORDS = [
    "the",
    "cat",
    "sat",
    "on",
    "a",
    "mat",
    "dog",
    "Paris",
    "3.14",
    "1,000",
    "it's",
    "-",
    ",",
    ".",
    "!",
    "$5",
    "(x)",
    "New-York",
]
texts = st.lists(st.sampled_from(_WORDS), max_size=14).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(prediction=texts, reference=texts)
def test_random_texts_agree_with_the_references(prediction: str, reference: str) -> None:
    want = SCORER.score(reference, prediction)
    for key, ours in (
        ("rouge1", overlap.rouge_n(prediction, reference, 1)),
        ("rouge2", overlap.rouge_n(prediction, reference, 2)),
        ("rougeL", overlap.rouge_l(prediction, reference)),
    ):
        ref = want[key]
        assert (ours.precision, ours.recall, ours.f) == pytest.approx(
            (ref.precision, ref.recall, ref.fmeasure), abs=1e-12
        ), key
    bleu = sacrebleu.sentence_bleu(prediction, [reference]).score / 100
    assert overlap.bleu(prediction, [reference]) == pytest.approx(bleu, abs=1e-12)
