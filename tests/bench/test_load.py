"""The arithmetic of bench/load.py's figures: nearest-rank percentiles and CPU between snapshots."""
from bench.load import percentile
from bench.product import cpu_spent


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(100, 0, -1)]  # 100..1, unsorted on purpose
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([1.0, 2.0, 3.0], 0.5) == 2.0
    assert percentile([], 0.99) == 0.0


def test_cpu_between_snapshots_counts_new_processes_whole_and_skips_gone_ones():
    before = {10: 1.0, 11: 2.0, 12: 5.0}
    after = {10: 1.5, 11: 2.0, 13: 0.25}  # 12 exited, 13 started in between
    assert cpu_spent(before, after) == 0.75
