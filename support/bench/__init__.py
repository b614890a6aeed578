"""The benchmark engine: load shapes, per-request measurement, metrics as vLLM defines them, reports and plots."""
