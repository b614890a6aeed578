from pricing import price


def total(amounts: list[float]) -> float:
    return round(sum(price(amount) for amount in amounts), 2)
