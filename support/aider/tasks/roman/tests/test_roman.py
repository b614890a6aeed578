from roman import to_roman


def test_small_numbers() -> None:
    assert [to_roman(n) for n in (1, 3, 4, 9)] == ["I", "III", "IV", "IX"]


def test_tens_and_hundreds() -> None:
    assert [to_roman(n) for n in (48, 90, 400)] == ["XLVIII", "XC", "CD"]


def test_large_number() -> None:
    assert to_roman(1994) == "MCMXCIV"


def test_largest() -> None:
    assert to_roman(3999) == "MMMCMXCIX"
