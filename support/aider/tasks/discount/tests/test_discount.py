from checkout import total
from pricing import price


def test_price_without_discount() -> None:
    assert price(100) == 100


def test_price_with_discount() -> None:
    assert price(100, 10) == 90


def test_total_passes_the_discount_on() -> None:
    assert total([50, 150], 25) == 150


def test_total_without_discount() -> None:
    assert total([1.5, 2.5]) == 4
