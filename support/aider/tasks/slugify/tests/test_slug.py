from slug import slugify


def test_words_are_joined_by_one_hyphen() -> None:
    assert slugify("Hello, World!") == "hello-world"


def test_runs_of_punctuation_and_spaces_collapse() -> None:
    assert slugify("  Rust --- and   Python  ") == "rust-and-python"


def test_digits_are_kept() -> None:
    assert slugify("Version 2.5 Release") == "version-2-5-release"


def test_nothing_left_is_empty() -> None:
    assert slugify("!!!") == ""
