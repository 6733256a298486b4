"""bench/cohort.ts, reference side: the cohort in pandas (test/golden/cohort_reference.py) on the
same MIMIC files. Usage: cohort_pandas.py MIMIC_CXR MIMIC_IV REPEATS. Prints one JSON line: the wall
and CPU time of each build (imports excluded), rows, and this process's peak RSS."""
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden"))
from cohort_reference import build  # noqa: E402

cxr, iv, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
seconds, cpu = [], []
for _ in range(repeats):
    t, c = time.perf_counter(), time.process_time()
    df, dropped = build(cxr, iv, uncertain="zeros", impute="mode", stay_match="date")
    seconds.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": len(df), "dropped": dropped,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
