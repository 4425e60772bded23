// A workspace's landing object versions, as the proof needs them: every version `datalake local`
// recorded in its version log (read-only: a running runtime owns the log), and every file now in
// landing/ it has not seen yet. `datalake load` records a landing file as its landing version
// (local/cli-manifest.ts); earlier releases named it under the bucket "local" by its content
// hash, as files from outside landing still are: that names a version too.
import { existsSync, statSync } from "fs";
import { join } from "path";
import { DATASETS, routeObjectKey } from "../../datasets";
import type { LandedVersion, VersionIdentity } from "../../handlers/audit/verify";
import { LOCAL_BUCKET } from "../cli-manifest";
import { landingFiles } from "../runtime/landing-watcher";
import { hashFile, readVersionLog, type VersionRecord } from "../runtime/version-store";
import { LOCAL_NAMES, workspacePaths } from "../runtime/workspace";

export function workspaceLandedVersions(workspace: string): LandedVersion[] {
  const paths = workspacePaths(workspace);
  const versions = keptVersions(paths.versionLog, paths.versions);
  const latest = new Map<string, VersionRecord>();
  for (const v of versions) if ((latest.get(v.key)?.seq ?? -1) < v.seq) latest.set(v.key, v);
  const routed = (key: string) => routeObjectKey(DATASETS, key) !== undefined;
  const out: LandedVersion[] = versions.map((v) => ({
    key: v.key,
    identities: [{ bucket: LOCAL_NAMES.landingBucket, versionId: v.versionId, etag: v.etag }, loadIdentity(v.sha256)],
    routed: routed(v.key),
  }));
  for (const { key, path } of landingFiles(paths.landing)) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue; // removed meanwhile
    const known = latest.get(key);
    if (known && known.sig.size === st.size && known.sig.mtimeMs === st.mtimeMs && known.sig.ctimeMs === st.ctimeMs && known.sig.ino === st.ino) continue;
    out.push({ key, identities: [loadIdentity(hashFile(path).sha256)], routed: routed(key), hint: "not yet seen by `datalake local`, nor loaded by `datalake load`" });
  }
  return out;
}

/**
 * How `datalake load` names a file's bytes (local/cli-manifest.ts manifestForFiles): their first
 * drop under the key. A later drop of the same bytes (`<hash>-2`: redropped) comes after that one
 * was loaded, whose FILE item stands for the bytes; naming the drops too would make one file two.
 */
function loadIdentity(sha256: string): VersionIdentity {
  return { bucket: LOCAL_BUCKET, versionId: sha256.slice(0, 32), etag: sha256.slice(0, 32) };
}

/** The "v" lines of the version log whose bytes are kept (what VersionStore loads). */
function keptVersions(logPath: string, bytesDir: string): VersionRecord[] {
  return readVersionLog(logPath)
    .filter((e) => e.t === "v" && existsSync(join(bytesDir, e.versionId)))
    .map(({ t: _t, ...record }) => record as VersionRecord);
}


