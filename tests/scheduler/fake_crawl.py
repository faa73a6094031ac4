"""Stands in for ``yuqing crawl NAME`` in scheduler tests: a real child process whose behaviour
depends on the source name. ``crash-*`` fails with a traceback, ``paused-*`` exits 3, ``slow-*``
sleeps for the seconds in $FAKE_CRAWL_SLEEP; every run appends a line to MARKER_DIR/NAME.log."""

import os
import sys
import time

marker_dir, name = sys.argv[1], sys.argv[2]
with open(os.path.join(marker_dir, f"{name}.log"), "a") as fh:
    fh.write(f"{os.getpid()} {time.time()}\n")
if name.startswith("crash"):
    print("fetching list page 1", flush=True)
    raise RuntimeError(f"spider {name} blew up: parse error on page 2")
if name.startswith("paused"):
    print("login wall detected, pausing source", flush=True)
    sys.exit(3)
if name.startswith("slow"):
    time.sleep(float(os.environ.get("FAKE_CRAWL_SLEEP", "30")))
print(f"{name}: 5 posts", flush=True)
