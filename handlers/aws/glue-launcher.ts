// GlueLauncher over the Glue API (SDK v3). SDK errors already carry Glue exception names
// (ConcurrentRunsExceededException, ...), which is the port's error contract.
import { GetJobRunCommand, GetJobRunsCommand, GlueClient, JobRun, StartJobRunCommand } from "@aws-sdk/client-glue";
import type { GlueJobRun, GlueJobRunState, GlueLauncher } from "../ports";

/** Pages of GetJobRuns read when adopting a run by its --run_id (newest first, 200 per page). */
const ADOPT_PAGES = 2;

export class AwsGlueLauncher implements GlueLauncher {
  constructor(private readonly glue: GlueClient) {}

  async startJobRun(jobName: string, args: Record<string, string>): Promise<{ JobRunId: string }> {
    const out = await this.glue.send(new StartJobRunCommand({ JobName: jobName, Arguments: args }));
    if (!out.JobRunId) throw new Error(`StartJobRun for ${jobName} returned no JobRunId`);
    return { JobRunId: out.JobRunId };
  }

  async getJobRun(jobName: string, jobRunId: string): Promise<GlueJobRun> {
    const out = await this.glue.send(new GetJobRunCommand({ JobName: jobName, RunId: jobRunId }));
    if (!out.JobRun) {
      const err = new Error(`job run ${jobRunId} of ${jobName} not found`);
      err.name = "EntityNotFoundException";
      throw err;
    }
    return toPort(out.JobRun);
  }

  async getJobRuns(jobName: string): Promise<GlueJobRun[]> {
    const runs: GlueJobRun[] = [];
    let token: string | undefined;
    for (let page = 0; page < ADOPT_PAGES; page++) {
      const out = await this.glue.send(new GetJobRunsCommand({ JobName: jobName, MaxResults: 200, NextToken: token }));
      runs.push(...(out.JobRuns ?? []).map(toPort));
      token = out.NextToken;
      if (!token) break;
    }
    return runs;
  }
}

function toPort(run: JobRun): GlueJobRun {
  return {
    Id: run.Id ?? "",
    JobName: run.JobName,
    JobRunState: (run.JobRunState ?? "RUNNING") as GlueJobRunState,
    ErrorMessage: run.ErrorMessage,
    Arguments: run.Arguments,
    StartedOn: run.StartedOn,
    CompletedOn: run.CompletedOn,
    ExecutionTime: run.ExecutionTime,
    DPUSeconds: run.DPUSeconds,
    MaxCapacity: run.MaxCapacity,
  };
}
