// Lambda entry: EventBridge "Glue Job State Change" -> handlers/core/job-state.ts.
import { createAwsDeps } from "./aws/runtime";
import { JobStateResult, handleJobStateChange } from "./core/job-state";

const deps = createAwsDeps("job-state");

export const handler = (event: unknown): Promise<JobStateResult> => handleJobStateChange(deps, event);
