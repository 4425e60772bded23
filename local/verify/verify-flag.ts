// `datalake audit --verify [--stack NAME | --bucket B --table T --region R] [--dataset NAME] [--json]`:
// which source to prove (the workspace, or a deployed stack), then the verdict. Exit 0 proven, 1 findings.
import { ParsedArgs, UsageError } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { openWorkspaceAudit } from "../runtime/audit-access";
import { verifyReport, verifyStack, verifyWorkspace } from "./run-verify";
import { stackTarget, type StackTarget } from "./stack-source";

export async function runVerify(args: ParsedArgs, io: CliIo): Promise<number> {
  const stack = deployedTarget(args);
  const options = { dataset: flag(args, "dataset"), progress: (line: string) => io.err(line) };
  let result;
  let where: string;
  if (stack) {
    where = stack.where;
    result = await verifyStack(stack.target, options);
  } else {
    const workspace = workspaceDir(args.flags.workspace);
    where = `workspace ${workspace}`;
    const opened = await openWorkspaceAudit(workspace);
    try {
      result = await verifyWorkspace(workspace, opened.audit.db, options);
    } finally {
      await opened.close();
    }
  }
  io.out(args.flags.json ? JSON.stringify(result.findings, null, 2) : verifyReport(result, where).join("\n"));
  return result.findings.length === 0 ? 0 : 1;
}

const flag = (args: ParsedArgs, name: string) => (typeof args.flags[name] === "string" ? (args.flags[name] as string) : undefined);

/** The deployed stack the flags name, or undefined for the workspace. Usage errors for half a target. */
function deployedTarget(args: ParsedArgs): { target: StackTarget; where: string } | undefined {
  const listing = ["runs", "status", "since", "limit", "wide"].find((f) => args.flags[f] !== undefined);
  if (listing) throw new UsageError(`audit: --${listing} lists the trail; --verify checks all of it (use --dataset to narrow)`);
  const [stack, bucket, table, region] = ["stack", "bucket", "table", "region"].map((f) => flag(args, f));
  if (stack !== undefined && (bucket ?? table) !== undefined) throw new UsageError("audit: --stack or --bucket/--table, not both");
  if (stack !== undefined) return { target: stackTarget(stack, region), where: `stack ${stack}` };
  if (bucket === undefined && table === undefined && region === undefined) return undefined;
  const chosen = region ?? process.env.AWS_REGION;
  if (bucket === undefined || table === undefined || chosen === undefined) {
    throw new UsageError("audit: --verify of a deployed stack needs --bucket, --table and --region together (or --stack NAME)");
  }
  return { target: { bucket, table, region: chosen }, where: `s3://${bucket} + ${table}` };
}
