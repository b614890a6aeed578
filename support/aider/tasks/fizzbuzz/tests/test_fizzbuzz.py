from fizzbuzz import fizzbuzz


def test_first_five() -> None:
    assert fizzbuzz(5) == ["1", "2", "Fizz", "4", "Buzz"]


def test_fifteen_is_both() -> None:
    assert fizzbuzz(15)[-1] == "FizzBuzz"


def test_length() -> None:
    assert len(fizzbuzz(30)) == 30


def test_nothing() -> None:
    assert fizzbuzz(0) == []
