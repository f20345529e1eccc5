"""stats: median, nearest-rank percentiles and ratios over lists of seconds."""
import math
import statistics


def median(xs):
    return statistics.median(xs) if xs else None


def percentile(xs, p):
    """Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it."""
    if not xs:
        return None
    ordered = sorted(xs)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def summary(xs):
    """The figures the report prints for one list of samples."""
    return {"n": len(xs), "median": median(xs), "p95": percentile(xs, 95),
            "min": min(xs) if xs else None, "max": max(xs) if xs else None}
