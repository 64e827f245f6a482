"""Record what the current read side answers for the sampled views of a data set, rebuilt
from nothing by the ETL (tests/golden/sets.py) on SQLite. Run it only when figures are meant
to change (a new demo generator, a rule changed on purpose) and say why in the commit.

First made with the pandas read side of commit 2561ccb (issue 8); re-recorded in issue 9 with
the analytics store on the continuous demo generator (etl/demo.py, demo-2).

    .venv/bin/python tests/golden/make_golden.py tests/golden/demo_views.json.gz demo
    .venv/bin/python tests/golden/make_golden.py tests/golden/seed_views.json.gz seed
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.golden.sets import SETS, build  # noqa: E402
from tests.golden.views import answer, sample_views  # noqa: E402


def main() -> int:
    out, name = sys.argv[1], sys.argv[2]
    from data import queries

    spec = SETS[name]
    tmp = Path(tempfile.mkdtemp())
    try:
        engine = build(f"sqlite:///{tmp / 'g.sqlite'}", name)
        views = sample_views(engine, spec["views"], spec["seed"], spec["provinces"], spec.get("ranges"),
                             spec.get("extra"))
        t0 = time.time()
        answers = []
        for v in views:
            answers.append({"view": v, "answer": answer(engine, v, queries)})
        print(f"{len(views)} views in {time.time() - t0:.0f} s", file=sys.stderr)
        Path(out).write_bytes(gzip.compress(json.dumps(answers, ensure_ascii=False, indent=0).encode(), mtime=0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
