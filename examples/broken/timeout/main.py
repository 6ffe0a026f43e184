"""Broken on purpose: waits for a file that never appears, so the run passes its time limit.

The mistake: polling for a "model is ready" marker that only a training job on the author's own
machine would ever create.
"""

import os
import time
from pathlib import Path

marker = Path(os.environ.get("HOLDOUT_DATA", "/code_execution/data")) / "model_ready.flag"
print(f"waiting for {marker} ...", flush=True)
waited = 0
while not marker.exists():
    time.sleep(1)
    waited += 1
    if waited % 10 == 0:
        print(f"still waiting after {waited}s", flush=True)
print("model ready")
