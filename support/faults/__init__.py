"""Planted parity faults: the catalogue, a scratch copy of the checkout to plant one in, and the run that checks the suite kills it."""
