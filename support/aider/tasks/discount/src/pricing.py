def price(amount: float) -> float:
    return round(amount * 1.0, 2)
