def count_words(sentence: str) -> dict[str, int]:
    pass
