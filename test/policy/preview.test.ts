// Issue #13 item 5: in a preview of a new stack (or of a new dataset) every policy document is
// unknown, so the IAM checks used to run only at `pulumi up`. The pack now checks, in place of an
// unknown document, the document the program's pure builder (infra/policies/) renders with
// placeholder ARNs. These tests run the program with every document made unknown, as a preview is.
import { expect } from "chai";
import { ResourceValidationArgs, unknownCheckingProxy } from "@pulumi/policy";
import { evaluateRules, formatFindings } from "../../policy/evaluate";
import { fromResourceArgs } from "../../policy/lib/engine-adapter";
import { PolicyRes, UNKNOWN, isUnknown } from "../../policy/lib/model";
import {
  DOCUMENT_FIELDS,
  PREVIEW_DOCUMENTS,
  withPreviewDocuments,
} from "../../policy/lib/preview-documents";
import { devRun } from "../infra/program-runs";
import { KNOWN_INFRA_FINDINGS, isKnownInfraFinding } from "./known-findings";
import { fromRecorded } from "./recorded";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const UNKNOWN_STRING: string = require("@pulumi/policy/proxy").unknownStringValue;

/** The recorded program as a first preview sees it: every policy document unknown. */
async function previewOfProgram(): Promise<PolicyRes[]> {
  const resources = (await devRun()).resources.map(fromRecorded);
  return resources.map((r) => {
    const props = { ...r.props };
    for (const field of DOCUMENT_FIELDS) if (props[field] !== undefined) props[field] = UNKNOWN;
    return { ...r, props };
  });
}

const docFields = (r: PolicyRes) => DOCUMENT_FIELDS.filter((f) => r.props[f] !== undefined);

describe("policy documents at preview (placeholders from the program's builders)", function () {
  this.timeout(120_000);

  it("without the builders' renderings, a preview checks none of the program's documents", async () => {
    const preview = await previewOfProgram();

    const findings = evaluateRules(preview, { environment: "dev" });

    expect(findings.filter((f) => isKnownInfraFinding(f))).to.deep.equal([]);
  });

  it("renders a document for every policy-bearing resource of the program", async () => {
    const preview = await previewOfProgram();
    const bearing = preview.filter((r) => docFields(r).length > 0);

    const filled = bearing.map((r) => withPreviewDocuments(r));

    expect(bearing.length).to.be.greaterThan(20);
    const missing = filled
      .filter((r) => docFields(r).some((f) => isUnknown(r.props[f])))
      .map((r) => r.urn.split("::").slice(2).join("::"));
    expect(missing, "add the builder to PREVIEW_DOCUMENTS").to.deep.equal([]);
  });

  it("finds at preview what `pulumi up` finds in the program's documents (the known infra findings)", async () => {
    const preview = (await previewOfProgram()).map((r) => withPreviewDocuments(r));

    const findings = evaluateRules(preview, { environment: "dev" });

    const unexpected = findings.filter((f) => !isKnownInfraFinding(f));
    expect(unexpected, formatFindings(unexpected)).to.deep.equal([]);
    for (const known of KNOWN_INFRA_FINDINGS.filter((k) => k.atPreview)) {
      expect(
        findings.some((f) => f.rule === known.rule && known.message.test(f.message)),
        known.issueItem,
      ).to.equal(true);
    }
  });

  it("reports a builder that writes a wildcard on the resource whose document is unknown", () => {
    const policy: PolicyRes = {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "orders-job-policy",
      urn: "urn:pulumi:dev::datalake::datalake:glue:DatasetJob$aws:iam/rolePolicy:RolePolicy::orders-job-policy",
      props: { role: UNKNOWN, policy: UNKNOWN },
      refs: [],
      propertyDeps: {},
      deps: [],
      protect: false,
    };
    const registry = {
      "datalake:glue:DatasetJob$aws:iam/rolePolicy:RolePolicy policy": () => [
        {
          Version: "2012-10-17" as const,
          Statement: [
            {
              Sid: "Broad",
              Effect: "Allow" as const,
              Action: ["s3:Get*"],
              Resource: "arn:aws:s3:::preview-landing/*",
            },
          ],
        },
      ],
    };

    const withBuilder = evaluateRules([withPreviewDocuments(policy, registry)], {});
    const withoutBuilder = evaluateRules([withPreviewDocuments(policy, {})], {});

    expect(withBuilder.map((f) => f.message)).to.deep.equal([
      'policy statement "Broad": wildcard actions s3:get*; name each action',
    ]);
    expect(withoutBuilder).to.deep.equal([]);
  });

  it("keeps a known document as it is (pulumi up checks the real one)", () => {
    const known = JSON.stringify({ Version: "2012-10-17", Statement: [] });
    const policy = {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "p",
      urn: "urn:pulumi:dev::datalake::datalake:glue:DatasetJob$aws:iam/rolePolicy:RolePolicy::p",
      props: { policy: known },
      refs: [],
      propertyDeps: {},
      deps: [],
      protect: false,
    };

    expect(withPreviewDocuments(policy).props.policy).to.equal(known);
  });

  it("substitutes in the engine adapter, so the analyzer's rules see the rendering", () => {
    const type = "aws:iam/rolePolicy:RolePolicy";
    const args = {
      type,
      name: "orders-job-policy",
      urn: `urn:pulumi:dev::datalake::datalake:datalake:Platform$datalake:glue:DatasetJob$${type}::orders-job-policy`,
      props: unknownCheckingProxy({ role: UNKNOWN_STRING, policy: UNKNOWN_STRING }),
      opts: { protect: false },
    } as unknown as ResourceValidationArgs;

    const res = fromResourceArgs(args);

    expect(res.props.policy).to.be.a("string");
    expect(JSON.parse(res.props.policy as string).Statement.length).to.be.greaterThan(3);
    expect(Object.keys(PREVIEW_DOCUMENTS)).to.include(
      `datalake:glue:DatasetJob$${type} policy`,
    );
  });
});
