"""Aider driven through the stack: tasks as data, a scratch repository per run, the run itself, and its judgement.

Nothing here trusts Aider's exit status (it is 0 after failed calls too): a run is judged by the files it left, the
git history, the task's tests and the gateway's access log.
"""
