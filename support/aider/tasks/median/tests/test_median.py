from stats import mean, median


def test_odd_count() -> None:
    assert median([3, 1, 2]) == 2


def test_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median([4, 1, 3, 2]) == 2.5


def test_unsorted_even_count() -> None:
    assert median([10, 0]) == 5


def test_mean_unchanged() -> None:
    assert mean([1, 2, 3, 4]) == 2.5
