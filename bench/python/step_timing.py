"""Timing shared by the PyTorch benchmark scripts: one warm-up call, then the sorted times of `steps` calls."""
import resource
import time

import torch


def time_steps(step, steps):
    """Calls `step` once to warm up, then `steps` times; returns the sorted durations in seconds."""
    step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return sorted(times)


def step_report(times, images_per_step, **extra):
    """What a pretraining benchmark prints: the median step, images/s, the times, threads, peak RSS and `extra`."""
    median = times[len(times) // 2]
    return {
        "secondsPerStep": median, "imagesPerSecond": images_per_step / median, "times": times,
        "threads": torch.get_num_threads(), "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__, **extra,
    }
