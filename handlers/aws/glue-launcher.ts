// GlueLauncher over the Glue API (SDK v3). SDK errors already carry Glue exception names
// (ConcurrentRunsExceededException, ...), which is the port's error contract.
import { GetJobRunCommand, GetJobRunsCommand, GlueClient, type GlueClientConfig, JobRun, StartJobRunCommand } from "@aws-sdk/client-glue";
import type { GlueJobRun, GlueJobRunState, GlueLauncher } from "../ports";

/** Pages of GetJobRuns read when adopting a run by its --run_id (newest first, 200 per page). */
const ADOPT_PAGES = 2;

/**
 * The launcher the handlers use. StartJobRun goes through its own client that sends each request
 * once: the SDK's retries turned a throttled start into an error after several attempts, which
 * run-start must read as "maybe started" (an earlier attempt may have been a timeout after Glue
 * created the run), so a throttle held the dataset's slot until the reconciler gave up 15 minutes
 * later. Sent once, a throttle is a clean refusal run-start backs off from itself
 * (limits.startAttempts), and a timeout or 5xx stays ambiguous. Reads keep the SDK's retries.
 */
export function awsGlueLauncher(config: GlueClientConfig = {}): AwsGlueLauncher {
  return new AwsGlueLauncher(new GlueClient(config), new GlueClient({ ...config, maxAttempts: 1 }));
}

export class AwsGlueLauncher implements GlueLauncher {
  constructor(
    private readonly glue: GlueClient,
    private readonly starts: GlueClient = glue,
  ) {}

  async startJobRun(jobName: string, args: Record<string, string>): Promise<{ JobRunId: string }> {
    const out = await this.starts.send(new StartJobRunCommand({ JobName: jobName, Arguments: args }));
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
