// The DuckDB session pool (engine/duckdb/session.ts): a build of several models shares one
// instance, each model on a connection of its own. What that relies on: a session's temp tables
// and views are its own (models reuse names such as `staged`, `audited`, `dim_touched`), and
// closing one session leaves the instance to the next.
import { expect } from "chai";
import { openSessionPool } from "../../engine/duckdb/session";

describe("engine (DuckDB): session pool", () => {
  it("keeps each session's temp tables its own and serves sessions after one closed", async () => {
    const pool = await openSessionPool({ threads: 1 });
    try {
      const first = await pool.session();
      await first.run("CREATE TEMP TABLE staged AS SELECT 1 AS n");
      const second = await pool.session();
      const seen = await second.rows("SELECT COUNT(*) AS n FROM duckdb_tables() WHERE table_name = 'staged'");
      expect(Number(seen[0].n), "the other session's temp table").to.equal(0);
      await second.run("CREATE TEMP TABLE staged AS SELECT 2 AS n");
      expect((await first.rows("SELECT n FROM staged"))[0].n).to.equal(1);
      first.close();
      expect((await second.rows("SELECT n FROM staged"))[0].n).to.equal(2);
      second.close();
      const third = await pool.session();
      expect((await third.rows("SELECT 3 AS n"))[0].n).to.equal(3);
      third.close();
    } finally {
      pool.close();
    }
  });
});
