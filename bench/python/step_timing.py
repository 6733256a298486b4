"""Timing shared by the PyTorch benchmark scripts: one warm-up call, then the sorted times of `steps` calls."""
import time


def time_steps(step, steps):
    """Calls `step` once to warm up, then `steps` times; returns the sorted durations in seconds."""
    step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return sorted(times)
