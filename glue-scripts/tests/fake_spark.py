"""Test doubles: a Spark session that records spark.sql calls, and an IO port that records its
calls in the same log, so tests can assert the order of the whole run."""

import re


class FakeRow(dict):
    def asDict(self):
        return dict(self)


class EveryColumn:
    """The columns of a table a test did not seed: it has every column asked for."""

    def __contains__(self, name):
        return True


class FakeFrame:
    def __init__(self, rows, columns=None):
        self._rows = [FakeRow(r) for r in rows]
        self.columns = columns if columns is not None else (list(self._rows[0]) if self._rows else [])

    def collect(self):
        return list(self._rows)


_CREATE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\S+) \((.*?)\) USING ")
_DESCRIBE = re.compile(r"^DESCRIBE TABLE (\S+)$")
_ADD = re.compile(r"^ALTER TABLE (\S+) ADD COLUMN `(\w+)` (\S+) (FIRST|AFTER `(\w+)`)$")
_PARTITIONED = re.compile(r" PARTITIONED BY \((.*?)\)")
_PARTITION_FIELD = re.compile(r"^ALTER TABLE (\S+) (ADD|DROP) PARTITION FIELD `?([^`]+)`?$")
_SET_PROPERTY = re.compile(r"^ALTER TABLE (\S+) SET TBLPROPERTIES \('([^']+)' = '([^']*)'\)$")
_UNSET_PROPERTIES = re.compile(r"^ALTER TABLE (\S+) UNSET TBLPROPERTIES IF EXISTS \((.*)\)$")
_SHOW_PROPERTIES = re.compile(r"^SHOW TBLPROPERTIES (\S+)$")
_MAIN_REF = re.compile(r"^SELECT snapshot_id FROM (\S+)\.`refs` WHERE name = 'main'$")
_FAST_FORWARD = re.compile(r"table => '([^']+)'")
_HISTORY = re.compile(r"^SELECT snapshot_id, parent_id, summary, committed_at < TIMESTAMP '[^']+' AS aged FROM \S+\.`snapshots`$")
_UPSERTS = re.compile(r"^SELECT COUNT\(\*\) AS n FROM `\w+` s\b")
_SNAPSHOT = re.compile(r"^SELECT \* FROM (\S+) VERSION AS OF \d+$")
# audit_queries.fused_sql: every audit a scalar subquery of one SELECT.
FUSED_AUDIT = re.compile(r"\(SELECT violations FROM \((.*?)\) AS a(\d+) LIMIT 1\) AS v\2(?:, |$)", re.S)


class FakeSpark:
    """`responses` is a list of (regex, rows or callable(statement) -> rows); first match wins.
    `fail_on` is a regex: a matching statement raises RuntimeError (after being recorded).

    `tables` maps a quoted table identifier to its columns [(name, spark type)]: CREATE TABLE IF
    NOT EXISTS adds a missing table, ALTER TABLE ... ADD COLUMN edits it, DESCRIBE TABLE reads it
    (like Iceberg: schema rows, then the partitioning section). Seed it to fake an older table.
    `partitions` maps an identifier to its partition fields: taken from the CREATE statement
    (also for a seeded table: it was created with them), edited by ADD / DROP PARTITION FIELD.
    `properties` maps an identifier to its table properties (SET / SHOW TBLPROPERTIES); `main`
    holds the tables whose `main` branch exists (seed it, or a fast_forward creates it)."""

    def __init__(self, responses=(), fail_on=None, log=None, tables=None):
        self.responses = list(responses)
        self.fail_on = fail_on
        self.log = log if log is not None else []
        self.snapshot = 100
        self.tables = dict(tables or {})
        self.partitions = {}
        self.properties = {}
        self.main = set()

    def _catalog(self, statement):
        create, describe, add = _CREATE.match(statement), _DESCRIBE.match(statement), _ADD.match(statement)
        if create and create.group(1) not in self.partitions:
            partitioned = _PARTITIONED.search(statement)
            self.partitions[create.group(1)] = re.findall(r"`(\w+)`", partitioned.group(1)) if partitioned else []
        field = _PARTITION_FIELD.match(statement)
        if field:
            fields = self.partitions[field.group(1)]
            if field.group(2) == "ADD":
                fields.append(field.group(3))
            else:
                fields.remove(field.group(3))
        if create and create.group(1) not in self.tables:
            self.tables[create.group(1)] = [
                (m.group(1), m.group(2).lower()) for m in re.finditer(r"`(\w+)` ([A-Z]+(?:\(\d+,\d+\))?)", create.group(2))
            ]
        prop, show, main_ref = _SET_PROPERTY.match(statement), _SHOW_PROPERTIES.match(statement), _MAIN_REF.match(statement)
        if prop:
            self.properties.setdefault(prop.group(1), {})[prop.group(2)] = prop.group(3)
        unset = _UNSET_PROPERTIES.match(statement)
        if unset:
            for key in re.findall(r"'([^']+)'", unset.group(2)):
                self.properties.get(unset.group(1), {}).pop(key, None)
        if show:
            return [{"key": k, "value": v} for k, v in self.properties.get(show.group(1), {}).items()]
        if main_ref:
            return [{"snapshot_id": 1}] if main_ref.group(1) in self.main else []
        if "system.fast_forward" in statement:
            ident = _FAST_FORWARD.search(statement).group(1)  # 'db.t' (relative to the catalog)
            self.main.add("`glue_catalog`." + ".".join(f"`{p}`" for p in ident.split(".")))
        if describe:
            # Spark 3.5 (Glue 5.0): identity partitions as '# Partition Information' rows, no
            # section when unpartitioned (DescribeTableExec since SPARK-39552).
            columns = self.tables[describe.group(1)]
            rows = [{"col_name": n, "data_type": t, "comment": ""} for n, t in columns]
            fields = self.partitions.get(describe.group(1), [])
            if fields:
                types = dict(columns)
                rows += [{"col_name": "# Partition Information", "data_type": "", "comment": ""},
                         {"col_name": "# col_name", "data_type": "data_type", "comment": "comment"}]
                rows += [{"col_name": f, "data_type": types.get(f, "int"), "comment": ""} for f in fields]
            return rows
        if add:
            columns = self.tables[add.group(1)]
            names = [n.lower() for n, _ in columns]
            at = 0 if add.group(4) == "FIRST" else names.index(add.group(5).lower()) + 1
            columns.insert(at, (add.group(2), add.group(3).lower()))
        return None

    @property
    def statements(self):
        return [entry[1] for entry in self.log if entry[0] == "sql"]

    @property
    def events(self):
        """The log in order: a statement as its text, any other call as its tuple (materialize, ...)."""
        return [entry[1] if entry[0] == "sql" else entry for entry in self.log]

    def sql(self, statement):
        self.log.append(("sql", statement))
        if self.fail_on and re.search(self.fail_on, statement):
            raise RuntimeError(f"boom: {statement[:60]}")
        if statement.startswith("SELECT (SELECT violations FROM ("):
            # Each audit answered as if it ran alone (and logged after the fused query), so a
            # test's responses and fail_on hold for both ways the executors run audits.
            row = {}
            for sql, i in FUSED_AUDIT.findall(statement):
                found = self.sql(sql).collect()
                row[f"v{i}"] = found[0].get("violations") if found else None
            return FakeFrame([row])
        described = self._catalog(statement)
        if described is not None:
            return FakeFrame(described)
        for pattern, rows in self.responses:
            if re.search(pattern, statement, re.S):
                return FakeFrame(rows(statement) if callable(rows) else rows)
        if _HISTORY.match(statement):
            # Every snapshot a table's first write, of more rows than any batch: no merge is due
            # for compaction (executor.due_for_compaction) unless a test says otherwise.
            return FakeFrame([{"snapshot_id": i, "parent_id": None, "summary": {"total-records": "1000000"}, "aged": False}
                              for i in range(1, self.snapshot + 1)])
        if _UPSERTS.match(statement):
            return FakeFrame([{"n": 0}])
        snapshot = _SNAPSHOT.match(statement)
        if snapshot:
            # A seeded table (an older one) has its columns in every snapshot.
            seeded = self.tables.get(snapshot.group(1))
            return FakeFrame([], [n for n, _ in seeded] if seeded is not None else EveryColumn())
        if ".`refs`" in statement and "type = 'BRANCH'" in statement:
            return FakeFrame([])
        if ".`refs`" in statement:
            # Every refs lookup sees a newer snapshot, like a branch that took a commit.
            self.snapshot += 1
            return FakeFrame([{"snapshot_id": self.snapshot}])
        if "system.fast_forward" in statement:
            self.snapshot += 1
            return FakeFrame([{"branch_updated": "main", "previous_ref": 1, "updated_ref": self.snapshot}])
        return FakeFrame([])


class FakeIO:
    def __init__(self, log, outcomes=None):
        self.log = log
        self.outcomes = outcomes
        self.read = []

    def read_files(self, files, source, run_id, output, files_output):
        self.log.append(("read_files", output, files_output))
        self.read = list(files)
        if self.outcomes is not None:
            return self.outcomes
        return [
            {"fileId": f["fileId"], "key": f["key"], "version": f.get("versionId") or "etag:" + f["etag"],
             "dataDate": f["receivedAt"][:10], "reason": None, "rowsRead": 3, "extraColumns": []}
            for f in files
        ]

    def register_appended(self, output, identifier, start_snapshot, end_snapshot):
        self.log.append(("register_appended", output, identifier, start_snapshot, end_snapshot))

    def register_pii_key(self, output, ipad, opad):
        self.log.append(("register_pii_key", output, ipad, opad))

    def materialize(self, name, select):
        self.log.append(("materialize", name, select))

    def tag_branch(self, identifier, branch, summary):
        self.log.append(("tag_branch", identifier, branch, dict(summary)))
