"""Monitoring: the stack's Prometheus and Alertmanager, started for tests or reached by URL, and checks on them."""
