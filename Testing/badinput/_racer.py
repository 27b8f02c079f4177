"""One racer of the concurrent-first-use test: waits for the start file, then opens the database and adds lesions.

Run as ``python _racer.py DATABASE START_FILE NUMBER``; prints one JSON line: {"ok": ..., "ids": [...]} or
{"ok": false, "error": "..."}.
"""

from __future__ import annotations

import json
import os
import sys
import time

from deepradiology.errors import DeepRadiologyError
from deepradiology.lesion import Lesion
from deepradiology.retrieval.database import LesionDatabase

database, start, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
while not os.path.exists(start):  # the barrier: every racer is imported and waiting before any opens the file
    time.sleep(0.0005)
lesions = [(f"racer{number}-lesion{i}", Lesion(f"r{number}l{i}", patient=f"P{number}", long_axis_mm=10.0 + i), {})
           for i in range(5)]
lesions.append(("shared-lesion", Lesion("shared", patient="P0", long_axis_mm=20.0), {}))
try:
    with LesionDatabase(database) as db:
        ids = db.add_lesions(lesions)
    print(json.dumps({"ok": True, "ids": ids}))
except DeepRadiologyError as exc:
    print(json.dumps({"ok": False, "error": str(exc)}))
