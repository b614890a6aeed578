"""Prompts the reliability scenarios share: one whose answer is compared before and after a fault, one that runs long."""

REFERENCE_PROMPT = "Name three colours of the rainbow."
LONG_PROMPT = "Tell a very long story about a dragon who learns to cook."
