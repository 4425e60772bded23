#!/usr/bin/env node
// Installs the Glue runtime the runner is tested on, locally: a project venv (.venv) with the
// pinned Python packages (pyspark at the Glue runtime's Spark version) and the Iceberg Spark
// runtime jar at its Iceberg version (.jars/). Versions come from one place,
// glue-scripts/datalake_glue/runtime.json, which infra's glueVersion and the runner also read.
// Idempotent and quick when nothing changed (a stamp holds the hash of what was installed), so
// `npm test` runs it first on every machine. Usage: node scripts/setup-glue-runtime.js [--check]
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const https = require("https");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const RUNTIME_FILE = path.join(ROOT, "glue-scripts", "datalake_glue", "runtime.json");
const REQUIREMENTS = path.join(ROOT, "glue-scripts", "requirements.txt");
const VENV = path.join(ROOT, ".venv");
const JARS = path.join(ROOT, ".jars");
const STAMP = path.join(VENV, ".datalake-runtime");
const MAVEN_CENTRAL = "https://repo1.maven.org/maven2";

const log = (message) => process.stderr.write(`glue runtime: ${message}\n`);
const fail = (message) => {
  process.stderr.write(`glue runtime: ${message}\n`);
  process.exit(1);
};

/** Maven coordinates of the jars local Spark needs (the Glue runtime bundles the same ones). */
function jarCoordinates(runtime) {
  const sparkMinor = runtime.sparkVersion.split(".").slice(0, 2).join(".");
  return [`org.apache.iceberg:iceberg-spark-runtime-${sparkMinor}_${runtime.scalaVersion}:${runtime.icebergVersion}`];
}

function jarFile(coordinate) {
  const [, artifact, version] = coordinate.split(":");
  return path.join(JARS, `${artifact}-${version}.jar`);
}

function findPython(version) {
  const candidates = [process.env.DATALAKE_PYTHON, `python${version}`, "python3"].filter(Boolean);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
    if (probe.status === 0 && probe.stdout.trim() === version) return candidate;
  }
  return fail(`Python ${version} (the Glue runtime's) not found: install it or set DATALAKE_PYTHON (tried ${candidates.join(", ")})`);
}

function checkJava(version) {
  const probe = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (probe.error) fail(`java not found: Spark needs a JDK ${version} (the Glue runtime's) on PATH`);
  const found = /version "(\d+)/.exec(probe.stderr ?? "");
  if (found && found[1] !== version) log(`warning: java ${found[1]} on PATH, the Glue runtime runs Java ${version}`);
}

function checkPins(runtime) {
  const text = fs.readFileSync(REQUIREMENTS, "utf8");
  const pin = /^pyspark==(\S+)$/m.exec(text);
  if (!pin || pin[1] !== runtime.sparkVersion) {
    fail(`${path.relative(ROOT, REQUIREMENTS)} pins pyspark ${pin ? pin[1] : "nowhere"}, runtime.json says Spark ${runtime.sparkVersion}`);
  }
  const unpinned = text.split("\n").filter((l) => l.trim() && !l.startsWith("#") && !l.includes("=="));
  if (unpinned.length > 0) fail(`${path.relative(ROOT, REQUIREMENTS)} has unpinned lines: ${unpinned.join(", ")}`);
}

function stampOf(runtime) {
  return crypto.createHash("sha256").update(fs.readFileSync(REQUIREMENTS)).update(JSON.stringify(runtime)).digest("hex");
}

function installVenv(runtime) {
  const python = findPython(runtime.pythonVersion);
  log(`creating ${path.relative(ROOT, VENV)} with ${python} (pyspark ${runtime.sparkVersion}; a first install takes a few minutes)`);
  fs.rmSync(VENV, { recursive: true, force: true });
  execFileSync(python, ["-m", "venv", VENV], { stdio: "inherit" });
  const pip = path.join(VENV, "bin", "pip");
  execFileSync(pip, ["install", "--quiet", "--disable-pip-version-check", "--no-deps", "-r", REQUIREMENTS], { stdio: "inherit" });
}

function download(url) {
  return new Promise((resolve, reject) => {
    https
      .get(url, (res) => {
        if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
          res.resume();
          resolve(download(res.headers.location));
          return;
        }
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
          return;
        }
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Maven when present (it verifies checksums and uses ~/.m2), else Maven Central over HTTPS + SHA-1. */
async function fetchJar(coordinate) {
  const target = jarFile(coordinate);
  if (fs.existsSync(target)) return;
  fs.mkdirSync(JARS, { recursive: true });
  log(`downloading ${coordinate}`);
  const mvn = spawnSync("mvn", ["-q", "-B", "-Dstyle.color=never", "dependency:copy", `-Dartifact=${coordinate}`, `-DoutputDirectory=${JARS}`], {
    stdio: "inherit",
  });
  if (mvn.status === 0 && fs.existsSync(target)) return;
  const [group, artifact, version] = coordinate.split(":");
  const url = `${MAVEN_CENTRAL}/${group.replace(/\./g, "/")}/${artifact}/${version}/${artifact}-${version}.jar`;
  const [jar, sha1] = await Promise.all([download(url), download(`${url}.sha1`)]);
  const actual = crypto.createHash("sha1").update(jar).digest("hex");
  if (actual !== sha1.toString("utf8").trim().split(/\s+/)[0]) fail(`${url}: SHA-1 mismatch`);
  fs.writeFileSync(`${target}.tmp`, jar);
  fs.renameSync(`${target}.tmp`, target);
}

async function main() {
  const runtime = JSON.parse(fs.readFileSync(RUNTIME_FILE, "utf8"));
  checkPins(runtime);
  const stamp = stampOf(runtime);
  const venvReady = fs.existsSync(STAMP) && fs.readFileSync(STAMP, "utf8") === stamp;
  const jarsReady = jarCoordinates(runtime).every((c) => fs.existsSync(jarFile(c)));
  if (process.argv.includes("--check")) {
    if (!venvReady || !jarsReady) fail("not installed or out of date: run `node scripts/setup-glue-runtime.js`");
    return;
  }
  if (venvReady && jarsReady) return;
  checkJava(runtime.javaVersion);
  if (!venvReady) installVenv(runtime);
  for (const coordinate of jarCoordinates(runtime)) await fetchJar(coordinate);
  fs.writeFileSync(STAMP, stamp);
  log(`ready: Glue ${runtime.glueVersion} = Spark ${runtime.sparkVersion} + Iceberg ${runtime.icebergVersion}`);
}

main().catch((e) => fail(e.message));
