from leap import is_leap_year


def test_ordinary_year() -> None:
    assert is_leap_year(2015) is False


def test_divisible_by_four() -> None:
    assert is_leap_year(1996) is True


def test_century() -> None:
    assert is_leap_year(1900) is False


def test_divisible_by_four_hundred() -> None:
    assert is_leap_year(2000) is True
