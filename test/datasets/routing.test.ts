import { expect } from "chai";
import { DATASETS, eventPatternFor, matchEventPattern, routeObjectKey } from "../../datasets";

const s3Event = (bucket: string, key: string) => ({
  version: "0",
  source: "aws.s3",
  "detail-type": "Object Created",
  detail: { bucket: { name: bucket }, object: { key, size: 10 } },
});

describe("routing", () => {
  it("routes keys to the dataset whose prefix they start with", () => {
    expect(routeObjectKey(DATASETS, "orders/2026/11/a.csv")?.name).to.equal("orders");
    expect(routeObjectKey(DATASETS, "order_items/a.csv")?.name).to.equal("order_items");
    expect(routeObjectKey(DATASETS, "unknown/a.csv")).to.equal(undefined);
    expect(routeObjectKey(DATASETS, "xorders/a.csv")).to.equal(undefined);
  });

  it("builds rule patterns that match their dataset's prefix and nothing else", () => {
    for (const spec of DATASETS) {
      const pattern = eventPatternFor(spec, "landing-bucket");
      for (const other of DATASETS) {
        const matched = matchEventPattern(pattern, s3Event("landing-bucket", `${other.prefix}file.csv`));
        expect(matched, `${spec.name} rule vs ${other.name} key`).to.equal(other === spec);
      }
      expect(matchEventPattern(pattern, s3Event("other-bucket", `${spec.prefix}f.csv`))).to.equal(false);
      expect(matchEventPattern(pattern, { ...s3Event("landing-bucket", `${spec.prefix}f`), "detail-type": "Object Deleted" })).to.equal(false);
    }
  });

  it("uses a wildcard when a suffix is declared", () => {
    const pattern = eventPatternFor({ prefix: "x/", suffix: ".csv" }, "b");
    expect(matchEventPattern(pattern, s3Event("b", "x/deep/path/f.csv"))).to.equal(true);
    expect(matchEventPattern(pattern, s3Event("b", "x/f.json"))).to.equal(false);
  });
});
