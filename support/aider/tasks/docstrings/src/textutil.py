def initials(name: str) -> str:
    return "".join(part[0].upper() for part in name.split())


def shout(text: str) -> str:
    return text.upper() + "!"


def word_lengths(text: str) -> list[int]:
    return [len(word) for word in text.split()]
