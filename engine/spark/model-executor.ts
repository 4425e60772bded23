// The model executor of a `--engine spark` workspace: each model's spark plan built by the Glue
// model job on the local Spark server (build-model.ts); buildModels (engine/duckdb/build-models.ts)
// orders the models, skips a fact whose dimensions never published, and reports alike.
import type { ModelExecutor } from "../duckdb/build-models";
import { buildModelSpark, publishedSparkModelVersion } from "./build-model";
import type { SparkServer } from "./server";

export function sparkModelExecutor(workspace: string, server: SparkServer): ModelExecutor {
  return {
    dialect: "spark",
    published: (model) => publishedSparkModelVersion(server, model),
    build: (plan, options) => buildModelSpark(plan, { workspace, server, ...options }),
  };
}
