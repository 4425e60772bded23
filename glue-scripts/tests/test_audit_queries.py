"""Audits run fused into one query, and alone when that query fails (audit_queries.py)."""

from datalake_glue.audit_queries import MAX_FUSED, fused_sql, run_audits
from tests.fake_spark import FUSED_AUDIT


def audit(name, sql, description=None):
    return {"name": name, "sql": sql, "description": description or f"{name} holds"}


class Answers:
    """A `rows` port: answers each audit SQL from `values` (None: no row), raises for `broken`,
    and answers a fused query from the same values (unless `fused_fails`); records each query."""

    def __init__(self, values, broken=(), fused_fails=False):
        self.values, self.broken, self.fused_fails, self.queries = values, set(broken), fused_fails, []

    def one(self, sql):
        if sql in self.broken:
            raise RuntimeError(f"[TABLE_OR_VIEW_NOT_FOUND] {sql}\nstack trace")
        value = self.values[sql]
        return [] if value is None else [{"violations": value}]

    def __call__(self, sql):
        self.queries.append(sql)
        inner = FUSED_AUDIT.findall(sql)
        if not inner:
            return self.one(sql)
        if self.fused_fails or any(q in self.broken for q, _ in inner):
            raise RuntimeError("fused query failed")
        return [{f"v{i}": (self.one(q) or [{"violations": None}])[0]["violations"] for q, i in inner}]


def test_every_audit_runs_in_one_query_and_keeps_its_own_result():
    audits = [audit("a", "SELECT 0 AS violations"), audit("b", "SELECT 2 AS violations", "b is unique"),
              audit("c", "SELECT 0 AS violations WHERE FALSE")]
    rows = Answers({"SELECT 0 AS violations": 0, "SELECT 2 AS violations": 2, "SELECT 0 AS violations WHERE FALSE": None})

    results = run_audits(rows, audits, lambda a: a["sql"])

    assert len(rows.queries) == 1
    assert results == [
        {"name": "a", "passed": True, "violations": 0},
        {"name": "b", "passed": False, "violations": 2, "detail": "b is unique"},
        {"name": "c", "passed": False, "violations": 0, "detail": "audit returned no violations count"},
    ]


def test_a_broken_audit_fails_the_fused_query_then_each_audit_runs_alone_and_names_its_error():
    audits = [audit("ok", "SELECT 0 AS violations"), audit("broken", "SELECT x FROM missing"), audit("bad", "SELECT 1 AS violations")]
    rows = Answers({"SELECT 0 AS violations": 0, "SELECT 1 AS violations": 1}, broken=["SELECT x FROM missing"])

    results = run_audits(rows, audits, lambda a: a["sql"])

    assert rows.queries[1:] == ["SELECT 0 AS violations", "SELECT x FROM missing", "SELECT 1 AS violations"]
    assert results == [
        {"name": "ok", "passed": True, "violations": 0},
        {"name": "broken", "passed": False, "violations": 0,
         "detail": "audit error: [TABLE_OR_VIEW_NOT_FOUND] SELECT x FROM missing"},
        {"name": "bad", "passed": False, "violations": 1, "detail": "bad holds"},
    ]


def test_a_fused_query_failing_for_any_reason_gives_the_results_of_the_audits_run_alone():
    audits = [audit("a", "SELECT 0 AS violations"), audit("b", "SELECT 3 AS violations")]
    values = {"SELECT 0 AS violations": 0, "SELECT 3 AS violations": 3}
    alone = run_audits(Answers(values, fused_fails=True), audits, lambda a: a["sql"])
    fused = run_audits(Answers(values), audits, lambda a: a["sql"])
    assert alone == fused


def test_more_audits_than_the_subquery_pool_run_in_chunks_and_one_audit_runs_bare():
    many = [audit(f"a{i}", f"SELECT {i} AS violations") for i in range(MAX_FUSED + 1)]
    rows = Answers({f"SELECT {i} AS violations": i for i in range(MAX_FUSED + 1)})

    results = run_audits(rows, many, lambda a: a["sql"])

    assert len(rows.queries) == 2
    assert rows.queries[0] == fused_sql([a["sql"] for a in many[:MAX_FUSED]])
    assert rows.queries[1] == f"SELECT {MAX_FUSED} AS violations"  # the last one alone, unwrapped
    assert [r["violations"] for r in results] == list(range(MAX_FUSED + 1))


def test_the_audit_sql_is_the_one_the_caller_picks():
    audits = [{"name": "k", "sql": "SELECT 5 AS violations", "sqlWhole": "SELECT 0 AS violations"}]
    rows = Answers({"SELECT 5 AS violations": 5, "SELECT 0 AS violations": 0})
    assert run_audits(rows, audits, lambda a: a["sqlWhole"])[0]["violations"] == 0
