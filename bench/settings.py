"""Settings for `make bench` only: production settings, one bare view, a throwaway STATIC_ROOT.

Everything else (middleware, DEBUG, database, secrets) comes from config.settings and the
environment that bench/run.py sets, so the pages are measured as production serves them.
"""

import os
from pathlib import Path

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# collectstatic writes here, not into the developer's staticfiles/.
if "BENCH_STATIC_ROOT" in os.environ:
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
