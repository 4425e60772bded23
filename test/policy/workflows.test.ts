// The GitHub Actions workflows, parsed: triggers, OIDC-only AWS access, the policy pack on every
// Pulumi command, prod gated by dispatch + protected environment, pinned actions, and the PR comment
// script itself (run against a fake GitHub API with a long preview).
import { expect } from "chai";
import { readFileSync, readdirSync } from "fs";
import { join } from "path";
import { parse } from "yaml";

const DIR = join(__dirname, "..", "..", ".github", "workflows");

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  id?: string;
};
type Job = {
  if?: string;
  environment?: string | { name: string };
  steps: Step[];
  strategy?: any;
  permissions?: Record<string, string>;
  needs?: string | string[];
};
type Workflow = {
  on: Record<string, any>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
};

function load(file: string): { text: string; wf: Workflow } {
  const text = readFileSync(join(DIR, file), "utf8");
  return { text, wf: parse(text) as Workflow };
}

const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const envName = (job: Job) =>
  typeof job.environment === "string" ? job.environment : job.environment?.name;

describe("GitHub workflows", () => {
  it("has a pull-request and a deploy workflow", () => {
    expect(files).to.include.members(["pull-request.yml", "deploy.yml"]);
  });

  describe("every workflow", () => {
    for (const file of files) {
      it(`${file}: no stored AWS keys, OIDC role assumption only`, () => {
        const { text, wf } = load(file);

        expect(text).to.not.match(
          /aws[-_]access[-_]key[-_]id|aws[-_]secret[-_]access[-_]key|aws[-_]session[-_]token/i,
        );
        expect(text).to.not.match(/secrets\.AWS/i);
        for (const [name, job] of Object.entries(wf.jobs)) {
          const aws = job.steps.filter((s) =>
            s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
          );
          for (const step of aws) {
            expect(step.with?.["role-to-assume"], `${name}: role-to-assume`)
              .to.be.a("string")
              .and.match(/vars\./);
            const idToken = job.permissions?.["id-token"] ?? wf.permissions?.["id-token"];
            expect(idToken, `${name}: id-token permission`).to.equal("write");
          }
        }
      });

      it(`${file}: actions pinned to a version or commit`, () => {
        const { wf } = load(file);

        const uses = Object.values(wf.jobs).flatMap((j) =>
          j.steps.map((s) => s.uses).filter((u): u is string => !!u),
        );
        expect(uses.length).to.be.greaterThan(0);
        for (const u of uses) expect(u, u).to.match(/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
      });

      it(`${file}: every pulumi preview/up runs the policy pack with the stack's config`, () => {
        const { wf } = load(file);

        const commands = Object.values(wf.jobs)
          .flatMap((j) => j.steps.map((s) => s.run ?? ""))
          .join("\n")
          .replace(/\\\n\s*/g, " ")
          .split("\n")
          .filter((l) => /\bpulumi (preview|up)\b/.test(l));
        expect(commands.length, "no pulumi preview/up command").to.be.greaterThan(0);
        for (const c of commands) {
          expect(c, c).to.contain("--policy-pack policy");
          expect(c, c).to.match(/--policy-pack-config "?policy\/config\//);
          expect(c, c).to.match(/--stack/);
        }
      });
    }
  });

  describe("pull-request.yml", () => {
    const { wf } = load("pull-request.yml");

    it("runs on pull requests with least-privilege token permissions", () => {
      expect(wf.on).to.have.property("pull_request");
      expect(wf.on).to.not.have.property("push");
      expect(wf.permissions).to.deep.equal({
        contents: "read",
        "id-token": "write",
        "pull-requests": "write",
      });
    });

    it("runs npm ci and npm test", () => {
      const all = Object.values(wf.jobs).map(runs).join("\n");

      expect(all).to.match(/^npm ci$/m);
      expect(all).to.match(/^npm test$/m);
    });

    it("gives npm test the Glue runtime's Python and Java, which its pretest (setup-glue-runtime.js) requires", () => {
      const runtime = JSON.parse(readFileSync(join(__dirname, "..", "..", "glue-scripts", "datalake_glue", "runtime.json"), "utf8"));
      const steps = wf.jobs.test.steps;
      const setup = (action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`));
      const testStep = steps.findIndex((s) => s.run === "npm test");

      expect(setup("actions/setup-python")?.with?.["python-version"]).to.equal(runtime.pythonVersion);
      expect(setup("actions/setup-java")?.with?.["java-version"]).to.equal(runtime.javaVersion);
      expect(steps.indexOf(setup("actions/setup-python")!)).to.be.below(testStep);
      expect(steps.indexOf(setup("actions/setup-java")!)).to.be.below(testStep);
    });

    it("previews dev and prod with --diff and the policy pack after the tests", () => {
      const preview = wf.jobs.preview;

      expect(preview.needs).to.equal("test");
      expect(preview.strategy.matrix.stack).to.deep.equal(["dev", "prod"]);
      expect(runs(preview)).to.match(/pulumi preview --stack "\$\{\{ matrix.stack \}\}" --diff/);
      expect(envName(preview), "previews must not wait for prod approval").to.equal(undefined);
    });

    it("fails the job when the preview fails, after commenting", () => {
      const steps = wf.jobs.preview.steps;
      const comment = steps.findIndex((s) => s.uses?.startsWith("actions/github-script@"));
      const fail = steps.findIndex((s) => s.if === "steps.preview.outputs.exit_code != '0'");

      expect(comment).to.be.greaterThan(-1);
      expect(steps[comment].if).to.match(/always\(\)/);
      expect(fail).to.be.greaterThan(comment);
      expect(steps[fail].run).to.equal("exit 1");
    });

    describe("PR comment script", () => {
      const step = wf.jobs.preview.steps.find((s) => s.uses?.startsWith("actions/github-script@"))!;
      const script = String(step.with!.script);
      const limit = Number(wf.env!.PREVIEW_COMMENT_LIMIT);

      async function runScript(preview: string, existing: { id: number; body: string }[] = []) {
        const created: string[] = [];
        const updated: { id: number; body: string }[] = [];
        const github = {
          paginate: async () => existing,
          rest: {
            issues: {
              listComments: {},
              createComment: async (a: { body: string }) => created.push(a.body),
              updateComment: async (a: { comment_id: number; body: string }) =>
                updated.push({ id: a.comment_id, body: a.body }),
            },
          },
        };
        const context = {
          serverUrl: "https://github.com",
          repo: { owner: "acme", repo: "datalake" },
          runId: 42,
          issue: { number: 7 },
        };
        const fakeFs = { existsSync: () => true, readFileSync: () => preview };
        const fakeProcess = {
          env: { STACK: "prod", EXIT_CODE: "0", PREVIEW_COMMENT_LIMIT: String(limit) },
        };
        const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
        const fn = new AsyncFunction("require", "github", "context", "process", script);
        await fn((m: string) => (m === "fs" ? fakeFs : require(m)), github, context, fakeProcess);
        return { created, updated };
      }

      it("keeps the comment under GitHub's 65536-character limit", () => {
        expect(limit)
          .to.be.greaterThan(1000)
          .and.lessThan(65536 - 2000);
      });

      it("posts a short preview whole, without a truncation note", async () => {
        const { created } = await runScript(
          "+ aws:s3/bucket:Bucket landing create\nResources: 1 to create",
        );

        expect(created).to.have.length(1);
        expect(created[0]).to.contain("Resources: 1 to create");
        expect(created[0]).to.not.contain("truncated");
        expect(created[0]).to.contain("https://github.com/acme/datalake/actions/runs/42");
      });

      it("truncates a long preview, keeps its end and links the run log", async () => {
        const long =
          "x".repeat(200_000) + "\nPolicy Violations: s3-tls-only\nResources: 900 to create";

        const { created } = await runScript(long);

        expect(created).to.have.length(1);
        expect(created[0].length).to.be.lessThan(65536);
        expect(created[0]).to.contain("Preview truncated");
        expect(created[0]).to.contain("Policy Violations: s3-tls-only");
        expect(created[0]).to.contain(
          "[run log](https://github.com/acme/datalake/actions/runs/42)",
        );
      });

      it("updates its own comment for the stack instead of adding another", async () => {
        const existing = [
          { id: 5, body: "<!-- pulumi-preview:prod -->\nold" },
          { id: 6, body: "<!-- pulumi-preview:dev -->\nold" },
        ];

        const { created, updated } = await runScript("Resources: 3 unchanged", existing);

        expect(created).to.deep.equal([]);
        expect(updated.map((u) => u.id)).to.deep.equal([5]);
      });
    });
  });

  describe("pull-request.yml concurrency", () => {
    it("never cancels a run in flight (a killed pulumi can strand a state lock)", () => {
      const { wf } = load("pull-request.yml");

      expect((wf as any).concurrency["cancel-in-progress"]).to.equal(false);
    });
  });

  describe("deploy.yml", () => {
    const { wf } = load("deploy.yml");

    it("deploys dev on push to main only", () => {
      const dev = wf.jobs.dev;

      expect(wf.on.push.branches).to.deep.equal(["main"]);
      expect(dev.if).to.equal("github.event_name == 'push'");
      expect(runs(dev)).to.match(/pulumi up --stack dev --yes/);
      expect(runs(dev)).to.not.match(/--stack prod/);
    });

    it("deploys prod only on manual dispatch from main, through the protected prod environment", () => {
      const prod = wf.jobs.prod;

      expect(wf.on).to.have.property("workflow_dispatch");
      expect(prod.if).to.contain("github.event_name == 'workflow_dispatch'");
      expect(prod.if).to.contain("github.ref == 'refs/heads/main'");
      expect(envName(prod)).to.equal("prod");
      expect(runs(prod)).to.match(/pulumi up --stack prod --yes/);
    });

    it("never updates prod from a job outside the prod environment", () => {
      for (const [name, job] of Object.entries(wf.jobs)) {
        if (/--stack prod/.test(runs(job))) expect(envName(job), name).to.equal("prod");
      }
    });

    it("serializes updates per stack and never cancels one in flight", () => {
      for (const job of Object.values(wf.jobs) as any[]) {
        expect(
          job.concurrency.cancel_in_progress ?? job.concurrency["cancel-in-progress"],
        ).to.equal(false);
      }
    });
  });
});
