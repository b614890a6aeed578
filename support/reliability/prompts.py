"""Prompts the reliability scenarios share: one whose answer is compared before and after a fault, one that runs long."""

REFERENCE_PROMPT = "Name three colours of the rainbow."
LONG_PROMPT = "Tell a very long story about a dragon who learns to cook."
COUNTING_PROMPT = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"
"""Sent raw at temperature 0, it keeps a model counting to its token budget: a busy answer that does not end early."""
