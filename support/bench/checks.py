"""The performance features' checks on a benchmark summary: each returns what fell short, empty when all is well."""

from __future__ import annotations

import math
from typing import Any

from support.bench.profile import Profile

Summary = dict[str, Any]


def _groups(summary: Summary, **match: object) -> list[dict[str, Any]]:
    return [g for g in summary["groups"] if all(g.get(k) == v for k, v in match.items())]


def no_failures_at(summary: Summary, concurrency: int) -> list[str]:
    """Every request at this concurrency succeeded, and there were some."""
    batches = _groups(summary, phase="concurrency", load=f"c={concurrency}")
    if not batches:
        return [f"expected batches at concurrency {concurrency}, but none ran"]
    return [f"{g['target']} {g['model']}: expected no failed request at concurrency {concurrency}, but {g['failed']} of {g['requests']} "
            f"failed ({'; '.join(g['errors'])})" for g in batches if g["failed"]]


def short_ttft_p95(summary: Summary, profile: Profile) -> list[str]:
    """Short prompts, one at a time, get their first token within the bound at the 95th percentile."""
    batches = _groups(summary, phase="synchronous", prompt_size="short", stream=True)
    if not batches:
        return ["expected synchronous short-prompt batches, but none ran"]
    return [f"{g['target']} {g['model']}: expected TTFT p95 <= {profile.ttft_p95_short_s} s, but it was {g['ttft_s']['p95']:.3f} s "
            f"over {g['completed']} requests" for g in batches if not g["ttft_s"]["p95"] <= profile.ttft_p95_short_s]


def gateway_overhead(summary: Summary, profile: Profile) -> list[str]:
    """The gateway keeps its share of the raw engine's decode speed and adds at most the bound to the first token."""
    pairs = summary["comparisons"]["gateway_vs_engine"]
    if not pairs:
        return ["expected the gateway and its raw engine to be measured in the same run, but no pair was"]
    problems = []
    for c in pairs:
        if not c["decode_ratio"] >= profile.gateway_decode_share:
            problems.append(f"gateway over {c['engine']} ({c['model']}): expected >= {profile.gateway_decode_share:.2f} of the raw engine's decode "
                            f"speed, but it kept {c['decode_ratio']:.3f} ({c['gateway_decode_tps']:.1f} against {c['engine_decode_tps']:.1f} tokens/s)")
        if not c["ttft_added_ms"] <= profile.gateway_ttft_added_ms:
            problems.append(f"gateway over {c['engine']} ({c['model']}): expected at most {profile.gateway_ttft_added_ms} ms added to the first "
                            f"token, but it added {c['ttft_added_ms']:.1f} ms ({c['gateway_ttft_s']:.3f} against {c['engine_ttft_s']:.3f} s)")
    return problems


def first_token_early(summary: Summary, profile: Profile) -> list[str]:
    """A streamed answer's first token comes well before its last: TTFT is at most a share of the whole answer's time."""
    batches = _groups(summary, phase="synchronous", prompt_size="short", stream=True)
    if not batches:
        return ["expected streamed synchronous batches, but none ran"]
    return [f"{g['target']} {g['model']}: expected the first token by {profile.first_token_share_max:.0%} of the answer's time, but it came at "
            f"{g['ttft_share_of_e2e']:.0%} (TTFT p50 {g['ttft_s']['p50']:.3f} s, e2e p50 {g['e2e_s']['p50']:.3f} s)"
            for g in batches if not g["ttft_share_of_e2e"] <= profile.first_token_share_max]


def memory(summary: Summary, profile: Profile) -> list[str]:
    """Each server's peak resident memory, its runners included, stays under the bound."""
    if not summary["resources"]:
        return ["expected memory samples of the servers, but none were taken"]
    return [f"{name}: expected peak resident memory <= {profile.memory_max_mib:.0f} MiB, but it reached {r['peak_rss_bytes'] / 2**20:.0f} MiB"
            for name, r in summary["resources"].items() if r and not r["peak_rss_bytes"] <= profile.memory_max_mib * 2**20]


def generator_headroom(summary: Summary, profile: Profile) -> list[str]:
    """The generator's calibrated ceiling is many times the chunk rate the busiest batch needed."""
    calibration = summary.get("calibration") or {}
    if not calibration:
        return ["expected the load generator to be calibrated, but it was not"]
    peak = max((g["chunk_rate"] for g in summary["groups"]), default=0.0)
    ceiling = calibration["cpu_bound_chunks_per_second"]
    if calibration["failed"] or math.isnan(peak) or not ceiling >= profile.generator_headroom * peak:
        return [f"expected the generator's ceiling ({ceiling:.0f} chunks/s, {calibration['failed']} calibration failures) to be at least "
                f"{profile.generator_headroom:g} times the busiest batch's {peak:.1f} chunks/s, but it was not"]
    return []
