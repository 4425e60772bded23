// The Iceberg table of one semantic model in the semantic database, from its compiled plan's
// columns and partitioning. Create-only, for the reasons in dataset-tables.ts (Glue's UpdateTable
// drops the Iceberg parameters): a column edit reaches the preview through the plan artifact's
// content-hashed key on the model job, and the model runner refuses a table whose columns differ
// from its plan (docs/deploy.md: replace the table, then a full-refresh build).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ModelPlan } from "../../engine/models/plan";
import { tableLocation } from "../catalog-layout";
import { icebergTableInput } from "../iceberg-schema";
import { modelIcebergSchema } from "../model-layout";
import { ICEBERG_TABLE_IGNORED_FIELDS } from "./dataset-tables";

export interface ModelTableArgs {
  plan: Pick<ModelPlan, "model" | "kind" | "columns" | "partitionBy">;
  description?: string;
  databaseName: pulumi.Input<string>;
  semanticBucketName: pulumi.Input<string>;
  /** @default true */
  retainData?: boolean;
}

export class ModelTable extends pulumi.ComponentResource {
  public readonly table: aws.glue.CatalogTable;

  constructor(name: string, args: ModelTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:catalog:ModelTable", name, {}, opts);
    const retain = args.retainData ?? true;
    const { model, kind } = args.plan;
    const { fields, partitionFields } = modelIcebergSchema(args.plan);
    // Under `<model>/` like a dataset's tables under `<dataset>/`: the job's IAM scope.
    const location = pulumi.output(args.semanticBucketName).apply((b) => tableLocation(b, model, model));
    this.table = new aws.glue.CatalogTable(
      name,
      {
        name: model,
        databaseName: args.databaseName,
        tableType: "EXTERNAL_TABLE",
        description: `${model} (${kind})${args.description ? `: ${args.description}` : ""}`,
        openTableFormatInput: icebergTableInput(location, { fields, partitionFields }),
      },
      { parent: this, protect: retain, retainOnDelete: retain, dependsOn: opts?.dependsOn, ignoreChanges: ICEBERG_TABLE_IGNORED_FIELDS },
    );
    this.registerOutputs({ tableName: this.table.name });
  }
}
