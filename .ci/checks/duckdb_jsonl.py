"""Part of 20-duckdb-jsonl.sh: runs every ```sql block of docs/exporters.md
that starts with `-- check: NAME` on DIR/snapshot.jsonl and checks the
answers against DIR/expected.json (written by duckdb-jsonl.js)."""
import json
import re
import sys

import duckdb

doc, work = sys.argv[1], sys.argv[2]
blocks = dict(re.findall(r"```sql\n-- check: ([\w-]+)\n(.*?)```", open(doc, encoding="utf-8").read(), re.S))
assert set(blocks) == {"parquet", "top-sites", "files-in-stack"}, f"documented checks: {sorted(blocks)}"
expected = json.load(open(f"{work}/expected.json"))


def run(name, source="snapshot.jsonl"):
    sql = blocks[name].replace("snapshot.parquet", f"{work}/snapshot.parquet")
    if source.endswith(".parquet"):
        sql = sql.replace("read_json('snapshot.jsonl')", f"'{work}/{source}'")
    sql = sql.replace("'snapshot.jsonl'", f"'{work}/{source}'")
    return duckdb.sql(sql.strip().rstrip(";"))


print(f"duckdb {duckdb.__version__}")
run("parquet")
traces, total = duckdb.sql(
    f"SELECT count(*), round(sum(size * weight))::BIGINT FROM '{work}/snapshot.parquet'"
).fetchall()[0]
assert (traces, total) == (expected["traces"], expected["total"]), (traces, total, expected)

want = [tuple(row) for row in expected["lineno"]]
for source in ("snapshot.jsonl", "snapshot.parquet"):
    got = run("top-sites", source).fetchall()
    # Ties in bytes may come in any order.
    assert sorted(got) == sorted(want[: len(got)]) and len(got) == min(10, len(want)), (source, got, want)
    assert got[0] == want[0], (got[0], want[0])

got = dict(run("files-in-stack").fetchall())
for f, b in got.items():
    assert b == round(expected["files"][f]), (f, b, expected["files"][f])
assert len(got) == min(10, len(expected["files"]))
print(f"documented DuckDB queries agree with the snapshot: {traces} traces, top site {want[0][3]} ({want[0][4]} B)")
