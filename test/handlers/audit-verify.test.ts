// The pure checks of `datalake audit --verify` (handlers/audit/verify.ts) on cases the CLI tests
// do not build: an unversioned landing bucket, keys under a prefix in another case.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import type { FileItem } from "../../handlers/audit/items";
import { verifyAccounted } from "../../handlers/audit/verify";
import { fileIdOf } from "../../handlers/core/file-id";
import { workspaceLandedVersions } from "../../local/verify/workspace-source";

const BUCKET = "landing";

function skippedFile(key: string, etag: string, sequencer: string, reason: string): FileItem {
  return {
    kind: "FILE",
    fileId: fileIdOf(BUCKET, key, null, etag, sequencer),
    dataset: "orders",
    bucket: BUCKET,
    key,
    versionId: null,
    etag,
    sequencer,
    size: 0,
    status: "SKIPPED",
    reason,
    receivedAt: "2026-11-21T10:00:00.000Z",
    recordedAt: "2026-11-21T10:00:00.000Z",
  };
}

describe("audit --verify checks: an unversioned landing bucket", () => {
  const landed = (key: string, etag: string) => ({ key, identities: [{ bucket: BUCKET, versionId: null, etag }], routed: true });

  it("two PUTs of the same bytes under one key are one listed object with two FILE items: not a duplicate", () => {
    const files = [skippedFile("orders/a.csv", "e1", "01", "empty_object"), skippedFile("orders/a.csv", "e1", "02", "duplicate_content")];

    const result = verifyAccounted({ landed: [landed("orders/a.csv", "e1")], files, runs: [], slots: [], now: Date.now() });

    expect(result.findings).to.deep.equal([]);
  });

  it("the current object is matched by its ETag: another key's or another ETag's item does not account for it", () => {
    const files = [skippedFile("orders/a.csv", "old", "01", "superseded"), skippedFile("orders/b.csv", "e1", "02", "empty_object")];

    const result = verifyAccounted({ landed: [landed("orders/a.csv", "e1")], files, runs: [], slots: [], now: Date.now() });

    expect(result.findings).to.deep.equal([{ check: "missing_file", subject: "s3://landing/orders/a.csv#etag e1", detail: "no FILE item" }]);
    expect(result.stats.unlisted).to.equal(2);
  });
});

describe("audit --verify: model builds", () => {
  it("counts load runs only: a model build's RUN item reads no landing file", () => {
    const at = "2026-11-21T10:00:00.000Z";
    const run = (runId: string, model: boolean) => ({ kind: "RUN" as const, runId, dataset: model ? "dim_customer" : "orders", jobName: "j", status: "SUCCEEDED" as const, createdAt: at, ...(model ? { model: true } : {}) });

    const result = verifyAccounted({ landed: [], files: [], runs: [run("load-1", false), run("build-1", true)], slots: [], now: Date.now() });

    expect(result.findings).to.deep.equal([]);
    expect(result.stats.runs).to.equal(1);
  });
});

describe("audit --verify: which landed versions are routed", () => {
  it("counts a key under a dataset prefix in another case as routed (it needs a FILE item), an unknown prefix not", () => {
    const workspace = mkdtempSync(join(tmpdir(), "datalake-verify-case-"));
    try {
      for (const key of ["ORDERS/LOAD00000001.csv", "Orders/20261130-152952123.csv", "unknown/x.csv"]) {
        mkdirSync(dirname(join(workspace, "landing", key)), { recursive: true });
        writeFileSync(join(workspace, "landing", key), "1,2\n");
      }

      const routed = Object.fromEntries(workspaceLandedVersions(workspace).map((v) => [v.key, v.routed]));

      expect(routed).to.deep.equal({ "ORDERS/LOAD00000001.csv": true, "Orders/20261130-152952123.csv": true, "unknown/x.csv": false });
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});
