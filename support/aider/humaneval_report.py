"""The HumanEval run's report files: summary.json, aider-bench.md and a plot of pass rate per engine."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after use(): the backend is chosen before pyplot loads

from support.aider.humaneval_bench import TryRecord
from support.aider.humaneval_score import Parity, Summary, outcomes

COMPARISONS = """\
## How this differs from the published figures

- **Qwen's report, 70.7% on HumanEval for Qwen2.5-Coder-1.5B-Instruct**: greedy completion of the function body from
  the raw prompt, no Aider, the unquantised model, one try. Here the model is a Q4 GGUF, it answers in chat through
  Aider's `whole` edit format (it must return the whole file, fenced, named), under Aider's system prompt, with a
  second try that sees the check's output; pass_rate_1 is the nearest to Qwen's figure.
- **Aider's leaderboard, 31.6% pass_rate_2 for the same model**: Aider's older benchmark of 133 Exercism Python
  exercises (longer instructions, several functions or classes per exercise, unittest suites, 60 s per test run),
  served unquantised through an OpenAI-compatible API. Here the problems are HumanEval's single functions, which
  are easier; only the metric definitions carry over.
"""


def write_summary(path: Path, summaries: Sequence[Summary], parities: Sequence[Parity], facts: dict[str, object]) -> None:
    """Every figure of the run as JSON."""
    content = {"facts": facts, "summaries": [asdict(s) for s in summaries],
               "parity": [{**asdict(p), "problems": p.problems} for p in parities]}
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")


def _table(summaries: Sequence[Summary]) -> list[str]:
    lines = ["| engine | model | cases | pass_rate_1 | pass_rate_2 | pass_rate_2 95% (Wilson) | well formed | malformed "
             "| syntax errors | exhausted context | test timeouts | case timeouts | s/case |", "|" + "---|" * 13]
    for s in summaries:
        low, high = s.pass_rate_2_interval
        lines.append(f"| {s.engine} | {s.model} | {s.cases} | {s.pass_rate_1} | {s.pass_rate_2} | {low}–{high} | "
                     f"{s.percent_cases_well_formed} | {s.malformed_responses} | {s.syntax_errors} | "
                     f"{s.exhausted_context_windows} | {s.test_timeouts} | {s.case_timeouts} | {s.seconds_per_case} |")
    return lines


def _disagreements(records: Sequence[TryRecord], parities: Sequence[Parity]) -> list[str]:
    """Each case the engines judged differently, both final answers one after the other."""
    final = {r.key: r for r in records}
    results = outcomes(records)
    lines = []
    for p in parities:
        for task in sorted(p.only_first + p.only_second):
            lines.append(f"### {task} with {p.model}\n")
            for engine in (p.first, p.second):
                tried = results[(task, engine, p.model)]
                record = final[(task, engine, p.model)]
                lines += [f"**{engine}**: {'passed on try ' + str(tried) if tried else 'failed'}\n", "```python",
                          record.solution.rstrip(), "```", ""]
                if not tried:
                    lines += ["check output:", "```", record.test_output.rstrip(), "```", ""]
    return lines or ["None: on every case both engines passed or both failed."]


def write_markdown(path: Path, summaries: Sequence[Summary], parities: Sequence[Parity], facts: dict[str, object],
                   records: Sequence[TryRecord]) -> None:
    """aider-bench.md: the table, the parity verdicts, the comparison with published figures, the disagreements."""
    lines = ["# Aider on HumanEval, per engine", "", ", ".join(f"{k}: {v}" for k, v in facts.items()), "", *_table(summaries), "",
             "## Do the engines agree?", "",
             "Paired cases, so McNemar's exact test on the cases one engine passed and the other failed (alpha "
             f"{parities[0].alpha if parities else 0.05}); because a handful of cases gives that test little power, the 95% "
             "interval of the difference of the two rates (Newcombe's hybrid score interval, from the Wilson intervals) "
             "must also hold 0.", ""]
    final = {r.key: r.solution for r in records}
    for p in parities:
        verdict = "; ".join(p.problems) or "agree"
        tasks = sorted({r.task for r in records if r.model == p.model})
        same = sum(1 for t in tasks if final.get((t, p.first, p.model)) == final.get((t, p.second, p.model)))
        lines.append(f"- {p.model}: {p.first} {p.rates[0]:.1%} vs {p.second} {p.rates[1]:.1%}, p = {p.p_value:.3f}: {verdict}; "
                     f"the final solution.py was byte for byte the same on {same} of {len(tasks)} cases")
    lines += ["", COMPARISONS, "## Cases the engines judged differently", "", *_disagreements(records, parities)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def plot(path: Path, summaries: Sequence[Summary]) -> None:
    """Bars of pass_rate_2 per engine and model with their Wilson intervals, pass_rate_1 marked on each bar."""
    figure, axes = plt.subplots(figsize=(7, 4.6))
    labels = [f"{s.engine}\n{s.model}" for s in summaries]
    rates = [s.pass_rate_2 for s in summaries]
    errors = [[s.pass_rate_2 - s.pass_rate_2_interval[0] for s in summaries], [s.pass_rate_2_interval[1] - s.pass_rate_2 for s in summaries]]
    axes.bar(labels, rates, yerr=errors, capsize=6, color="#4c78a8", label="pass_rate_2 (Wilson 95%)")
    axes.scatter(labels, [s.pass_rate_1 for s in summaries], color="#f58518", zorder=3, label="pass_rate_1")
    axes.set_ylim(0, 100)
    axes.set_ylabel("% of HumanEval cases passed")
    counts = sorted({s.cases for s in summaries})
    axes.set_title(f"Aider on HumanEval ({counts[0] if len(counts) == 1 else ' or '.join(map(str, counts))} cases per engine and model)"
                   if counts else "Aider on HumanEval")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
