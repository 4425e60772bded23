// The Glue entry script and the shared Python package (zipped for --extra-py-files), uploaded
// once per stack under content-hashed keys in the ops bucket.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { basename } from "path";
import { libraryKey, pythonPackageFiles, scriptKey } from "../content-hash";

export interface GlueArtifactsArgs {
  opsBucket: pulumi.Input<string>;
  /** Path of the entry script (glue-scripts/load_dataset.py). */
  entryScriptPath: string;
  /** Path of the package directory (glue-scripts/datalake_glue). */
  packageDir: string;
  /** Path of the model jobs' entry script (glue-scripts/build_model.py); absent: no model jobs. */
  modelEntryScriptPath?: string;
}

export class GlueArtifacts extends pulumi.ComponentResource {
  /** Ops-bucket keys, e.g. scripts/load_dataset-<hash>.py and libs/datalake_glue-<hash>.zip. */
  public readonly scriptKey: string;
  public readonly libraryKey: string;
  /** scripts/build_model-<hash>.py, when the stack has models. */
  public readonly modelScriptKey?: string;

  constructor(name: string, args: GlueArtifactsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:glue:GlueArtifacts", name, {}, opts);
    const script = readFileSync(args.entryScriptPath);
    const packageName = basename(args.packageDir);
    const files = pythonPackageFiles(args.packageDir, packageName);
    this.scriptKey = scriptKey(basename(args.entryScriptPath), script);
    this.libraryKey = libraryKey(packageName, files);
    new aws.s3.BucketObjectv2(
      `${name}-script`,
      { bucket: args.opsBucket, key: this.scriptKey, content: script.toString("utf8"), contentType: "text/x-python" },
      { parent: this },
    );
    if (args.modelEntryScriptPath !== undefined) {
      // Same library zip as the load jobs: one object, one resource (two would delete each other's).
      const modelScript = readFileSync(args.modelEntryScriptPath);
      this.modelScriptKey = scriptKey(basename(args.modelEntryScriptPath), modelScript);
      new aws.s3.BucketObjectv2(
        `${name}-model-script`,
        { bucket: args.opsBucket, key: this.modelScriptKey, content: modelScript.toString("utf8"), contentType: "text/x-python" },
        { parent: this },
      );
    }
    new aws.s3.BucketObjectv2(
      `${name}-library`,
      {
        bucket: args.opsBucket,
        key: this.libraryKey,
        source: new pulumi.asset.AssetArchive(
          Object.fromEntries(files.map((f) => [f.archivePath, new pulumi.asset.StringAsset(f.content.toString("utf8"))])),
        ),
        contentType: "application/zip",
      },
      { parent: this },
    );
    this.registerOutputs({ scriptKey: this.scriptKey, libraryKey: this.libraryKey, modelScriptKey: this.modelScriptKey });
  }
}
