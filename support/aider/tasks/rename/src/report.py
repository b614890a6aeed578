from geometry import calc_area, perimeter


def describe(width: float, height: float) -> str:
    return f"area {calc_area(width, height)}, perimeter {perimeter(width, height)}"
