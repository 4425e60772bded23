import { expect } from "chai";
import { DATASETS, eventPatternFor, matchEventPattern, prefixSpellings, routeObjectKey } from "../../datasets";

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

  it("routes a key under its dataset's prefix in any letter case (DMS writes Oracle's SALES/ORDERS/), and the rule matches it too", () => {
    const spec = { prefix: "sales/orders/" };
    for (const key of ["SALES/ORDERS/LOAD00000001.csv", "Sales/Orders/20261130-152952123.csv", "sales/orders/x.csv"]) {
      expect(routeObjectKey([spec as never], key), key).to.equal(spec);
      expect(matchEventPattern(eventPatternFor(spec, "b"), s3Event("b", key)), key).to.equal(true);
    }
    for (const key of ["SALES/ORDERSX/a.csv", "SALES/ORDER/a.csv", "x/SALES/ORDERS/a.csv", "SALES/"]) {
      expect(routeObjectKey([spec as never], key), key).to.equal(undefined);
      expect(matchEventPattern(eventPatternFor(spec, "b"), s3Event("b", key)), key).to.equal(false);
    }
    // Folded in ASCII only: a Kelvin sign is no k, a dotted capital I no i.
    expect(routeObjectKey([{ prefix: "k/" } as never], "\u212a/a.csv")).to.equal(undefined);
    expect(routeObjectKey([{ prefix: "i/" } as never], "\u0130/a.csv")).to.equal(undefined);
    expect(routeObjectKey(DATASETS, "ORDERS/LOAD00000001.csv")?.name).to.equal("orders");
  });

  it("writes the case-insensitive prefix as EventBridge's prefix equals-ignore-case", () => {
    expect(eventPatternFor({ prefix: "SALES/ORDERS/" }, "b")).to.deep.equal({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: ["b"] }, object: { key: [{ prefix: { "equals-ignore-case": "SALES/ORDERS/" } }] } },
    });
  });

  it("lists a prefix's spellings S3 listings and IAM grants need: as declared, lower and upper case", () => {
    expect(prefixSpellings({ prefix: "dbo/Orders/" })).to.deep.equal(["dbo/Orders/", "dbo/orders/", "DBO/ORDERS/"]);
    expect(prefixSpellings({ prefix: "orders/" })).to.deep.equal(["orders/", "ORDERS/"]);
    expect(prefixSpellings({ prefix: "2026/" })).to.deep.equal(["2026/"]);
    expect(prefixSpellings({ prefix: "x/", suffix: ".csv" })).to.deep.equal(["x/"]);
  });

  it("uses a wildcard when a suffix is declared", () => {
    const pattern = eventPatternFor({ prefix: "x/", suffix: ".csv" }, "b");
    expect(matchEventPattern(pattern, s3Event("b", "x/deep/path/f.csv"))).to.equal(true);
    expect(matchEventPattern(pattern, s3Event("b", "x/f.json"))).to.equal(false);
    // EventBridge has no case-insensitive wildcard: with a suffix the prefix is matched exactly.
    expect(matchEventPattern(pattern, s3Event("b", "X/f.csv"))).to.equal(false);
    expect(routeObjectKey([{ prefix: "x/", suffix: ".csv" } as never], "X/f.csv")).to.equal(undefined);
  });
});
