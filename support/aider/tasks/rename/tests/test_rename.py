from geometry import perimeter, rectangle_area
from report import describe


def test_new_name_computes_the_area() -> None:
    assert rectangle_area(3, 4) == 12


def test_other_functions_unchanged() -> None:
    assert perimeter(3, 4) == 14


def test_caller_uses_the_new_name() -> None:
    assert describe(2, 5) == "area 10, perimeter 14"
