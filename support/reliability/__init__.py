"""Reliability checks as a library: fuzzing from the API description, hostile clients, faults, load, and their verdicts."""
