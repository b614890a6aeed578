def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle]


def mean(values: list[float]) -> float:
    return sum(values) / len(values)
