from textutil import initials, shout, word_lengths


def test_initials() -> None:
    assert initials("ada lovelace") == "AL"


def test_shout() -> None:
    assert shout("hi") == "HI!"


def test_word_lengths() -> None:
    assert word_lengths("one three") == [3, 5]
