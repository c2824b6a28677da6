"""The sentence splitter: whole text and streamed deltas agree, ends are right."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wyoming_servers.tts.sentences import MAX_SENTENCE_CHARS, SentenceStream, split_sentences


def test_splits_on_terminators_not_on_numbers_or_abbreviations() -> None:
    text = "Turned on the light. It is 3.5 degrees, Dr. Smith says! Really?  Yes"
    assert split_sentences(text) == [
        "Turned on the light.",
        "It is 3.5 degrees, Dr. Smith says!",
        "Really?",
        "Yes",
    ]


def test_stream_emits_a_sentence_as_soon_as_it_ends() -> None:
    stream = SentenceStream()
    assert stream.add("The door") == []
    assert stream.add(" is locked.") == []  # "locked." might still become "locked.5"
    assert stream.add(" The light") == ["The door is locked."]
    assert stream.add(" is on.\n") == ["The light is on."]
    assert stream.finish() == []


def test_run_on_text_is_cut_at_a_clause_early() -> None:
    text = ("and then the kitchen light, " * 40).strip()
    stream = SentenceStream()
    first = stream.add(text)
    assert first
    assert all(len(s) <= MAX_SENTENCE_CHARS for s in first)
    assert " ".join(first + stream.finish()) == text


_words = st.lists(
    st.sampled_from(
        ["the", "door", "3.5", "Dr.", "locked.", "on!", "is", "why?", "a,", "\n", "light"]
    ),
    max_size=40,
)


@given(words=_words, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_any_chunking_gives_the_same_sentences(words, cuts) -> None:
    text = " ".join(words)
    stream = SentenceStream()
    out: list[str] = []
    last = 0
    for cut in sorted(c for c in cuts if c <= len(text)):
        out += stream.add(text[last:cut])
        last = cut
    out += stream.add(text[last:]) + stream.finish()
    assert out == split_sentences(text)
    assert " ".join(out) == " ".join(text.split())
