"""Broken on purpose: keeps every augmented copy of the data in memory, far past a 1 GiB limit.

The mistake: "augmenting" by materialising thousands of shifted copies at once instead of
generating them lazily. Memory grows by 64 MiB per step until the run is killed.
"""

import sys

CHUNK = 64 * 1024 * 1024
# Stop at 8 GiB so that a machine without a memory limit is not swamped: the run then ends
# without predictions (invalid_output) instead of taking the host down.
MAX_STEPS = 128

copies = []
for step in range(1, MAX_STEPS + 1):
    # Multiplying a bytes object writes every byte, so the pages really are resident.
    copies.append(b"\x01" * CHUNK)
    if step % 4 == 0:
        print(f"augmented copies held: {step * CHUNK // 2**20} MiB", flush=True)
print("augmentation finished without hitting a memory limit", file=sys.stderr)
