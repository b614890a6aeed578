"""What a run leaves for its readers: Allure results and the run's summary.md.

The only part of ``support`` that knows behave and Allure:

- ``allure``: HTTP exchanges as attachments, the environment and categories, scenarios under rules.
- ``labels``: area, rule, severity and documentation links, so the report reads like the features.
- ``duration``: behave's closing "Took" line as the run's real wall-clock time.
- ``summary``: summary.md and the run's verdict, read back from the Allure results.
"""
