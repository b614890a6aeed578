from words import count_words


def test_one_word() -> None:
    assert count_words("word") == {"word": 1}


def test_case_is_ignored() -> None:
    assert count_words("Go go GO") == {"go": 3}


def test_punctuation_separates() -> None:
    assert count_words("car: carpet, as; java!") == {"car": 1, "carpet": 1, "as": 1, "java": 1}


def test_apostrophes_inside_words() -> None:
    assert count_words("'First: don't laugh.'") == {"first": 1, "don't": 1, "laugh": 1}
