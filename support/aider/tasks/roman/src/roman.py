def to_roman(number: int) -> str:
    pass
