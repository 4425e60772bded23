import { expect } from "chai";
import { DATASETS, DatasetSpecError, defineDataset, getDataset, type DatasetInput } from "../../datasets";
import { checkRegistry } from "../../datasets";

const base = (): DatasetInput => ({
  name: "things",
  prefix: "things/",
  format: "csv",
  columns: { id: "bigint", price: "decimal(10,2)", at: "timestamp", cdc_ts: "timestamp" },
  primaryKey: ["id"],
  cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
  target: { table: "things" },
});

function specError(mutate: (i: DatasetInput) => void): DatasetSpecError {
  const input = base();
  mutate(input);
  try {
    defineDataset(input);
  } catch (e) {
    expect(e).to.be.instanceOf(DatasetSpecError);
    return e as DatasetSpecError;
  }
  throw new Error("expected defineDataset to throw");
}

describe("dataset specs", () => {
  // The registry may hold more datasets than the reference six (a team adds its own).
  it("declares the six reference datasets with their silver tables", () => {
    // Arrange / Act
    const targets = Object.fromEntries(DATASETS.map((s) => [s.name, s.target.table]));
    // Assert
    expect(targets).to.deep.include({
      customers: "customers",
      products: "products",
      orders: "orders",
      order_items: "order_items",
      payments: "payments",
      shipments: "shipments",
    });
  });

  it("derives partition columns as the reference table says", () => {
    const parts = Object.fromEntries(DATASETS.map((s) => [s.name, s.partitionBy && [s.partitionBy.yearColumn, s.partitionBy.monthColumn]]));
    expect(parts).to.deep.include({
      customers: undefined,
      products: undefined,
      orders: ["order_year", "order_month"],
      order_items: ["created_year", "created_month"],
      payments: ["payment_year", "payment_month"],
      shipments: ["shipped_year", "shipped_month"],
    });
  });

  it("names the silver table after the dataset unless target.table overrides it", () => {
    const { target: _, ...noTarget } = base();
    expect(defineDataset(noTarget).target).to.deep.equal({ table: "things", glue: {} });
    expect(defineDataset({ ...base(), target: { glue: { workers: 4 } } }).target).to.deep.equal({ table: "things", glue: { workers: 4 } });
    expect(defineDataset({ ...base(), target: { table: "things_v2" } }).target.table).to.equal("things_v2");
  });

  it("records the declaring file so errors can name it", () => {
    expect(getDataset("orders").sourceFile).to.match(/datasets[\\/]orders\.ts$/);
  });

  it("requires orders' required columns and accepted statuses", () => {
    const labels = getDataset("orders").rules.map((r) => `${r.kind}:${"column" in r ? r.column : ""}`);
    expect(labels).to.include.members([
      "not_null:customer_id",
      "not_null:order_ts",
      "not_null:status",
      "not_null:total_amount",
      "accepted_values:status",
      "range:total_amount",
    ]);
  });

  it("keeps customers.email out of reader grants", () => {
    expect(getDataset("customers").pii).to.deep.equal([{ column: "email", mode: "exclude" }]);
  });

  it("gives format dms its defaults: Op, header auto, its timestamp column ordering, partial images kept", () => {
    const spec = defineDataset({
      name: "things", prefix: "things/", format: "dms",
      columns: { id: "bigint", v: "string", cdc_ts: { type: "timestamp", optional: true } },
      primaryKey: ["id"], dms: { timestampColumn: "cdc_ts" }, target: { table: "things" },
    });
    expect(spec.cdc).to.deep.equal({ opColumn: "Op", sequenceColumns: ["cdc_ts"] });
    expect(spec.csv.header).to.equal("auto");
    expect(spec.dms).to.deep.equal({ timestampColumn: "cdc_ts", noSupValue: null, partialImages: "keep_previous" });
    const bare = defineDataset({ name: "t", prefix: "t/", format: "dms", columns: { id: "bigint" }, primaryKey: ["id"], target: { table: "t" } });
    expect(bare.cdc).to.deep.equal({ opColumn: "Op", sequenceColumns: [] });
  });

  const bad: Array<[string, (i: DatasetInput) => void, string, RegExp]> = [
    ["no primary key", (i) => (i.primaryKey = []), "primaryKey", /at least one column/],
    ["unknown key column", (i) => (i.primaryKey = ["nope"]), "primaryKey[0]", /unknown column "nope"/],
    ["bad type", (i) => (i.columns.price = "money" as never), "columns.price.type", /unknown type "money"/],
    ["decimal scale above precision", (i) => (i.columns.price = "decimal(4,6)"), "columns.price.type", /unknown type/],
    ["unknown column in a rule", (i) => (i.rules = [{ kind: "not_null", column: "colour" }]), "rules[0].column", /unknown column "colour"/],
    ["range on a string", (i) => { i.columns.s = "string"; i.rules = [{ kind: "range", column: "s", min: 0 }]; }, "rules[0].column", /numeric/],
    ["lookaround regex", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^(?=a)" }]), "rules[0].pattern", /lookaround/],
    // RE2 (DuckDB) refuses these escapes, JavaScript and Java (Spark) accept them: one engine's load failed.
    ["regex on a double", (i) => { i.columns.d = "double"; i.rules = [{ kind: "regex", column: "d", pattern: "^[0-9.]+$" }]; }, "rules[0].column", /d is a double, whose text differs/],
    ["hashed double", (i) => { i.columns.d = "double"; i.pii = [{ column: "d", mode: "hash" }]; }, "pii[0].mode", /d is a double, whose text differs/],
    // \p{..} names other than general categories: RE2 refuses Java's, Java refuses RE2's scripts.
    ["a Java-only property", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^[\\p{Alpha}_]+$" }]), "rules[0].pattern", /\\p\{Alpha\} is not portable/],
    ["an RE2-only property", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^[\\P{Greek}]+$" }]), "rules[0].pattern", /\\P\{Greek\} is not portable/],
    ["an escape RE2 lacks", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^[0-9]+\\Z" }]), "rules[0].pattern", /\\Z is not portable/],
    // Java (Spark) refuses a brace that starts no repetition; RE2 (DuckDB) and JavaScript take it as itself.
    ["a {,m} repetition", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^[a-z]{,8}$" }]), "rules[0].pattern", /the \{ at 6 starts no/],
    ["a literal brace", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^{[a-z]+}$" }]), "rules[0].pattern", /the \{ at 1 starts no/],
    ["a possessive quantifier", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^[0-9]++$" }]), "rules[0].pattern", /possessive/],
    ["a possessive repetition", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^[0-9]{2}+$" }]), "rules[0].pattern", /possessive/],
    ["a backreference", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^([0-9])\\1$" }]), "rules[0].pattern", /backreferences/],
    ["an unclosed group", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^([0-9]+$" }]), "rules[0].pattern", /is not a valid regex: Unterminated group/],
    ["an escape RE2 reads otherwise", (i) => (i.rules = [{ kind: "regex", column: "id", pattern: "^\\v?[0-9]+$" }]), "rules[0].pattern", /\\v is not portable/],
    ["function in expression", (i) => (i.rules = [{ kind: "expression", label: "x", sql: "now() > at" }]), "rules[0].sql", /not portable/],
    ["unknown column in expression", (i) => (i.rules = [{ kind: "expression", label: "x", sql: "at > shipped" }]), "rules[0].sql", /unknown column "shipped"/],
    ["prefix without slash", (i) => (i.prefix = "things"), "prefix", /end with "\/"/],
    ["prefix with a character S3 events encode", (i) => (i.prefix = "SALES ORDERS/"), "prefix", /letters, digits/],
    ["op column declared twice", (i) => (i.columns.op = "string"), "cdc.opColumn", /do not also declare/],
    ["partition on a number", (i) => (i.partitionBy = { column: "id" }), "partitionBy.column", /date or timestamp/],
    ["reserved lineage name", (i) => (i.columns._row = "int"), "columns._row", /reserved/],
    ["duplicate labels", (i) => (i.rules = [{ kind: "not_null", column: "id" }, { kind: "not_null", column: "id" }]), "rules[1]", /label/],
    // `_reasons` joins labels with ";": a label holding one would read as two reasons.
    ["a rule label with the reasons separator", (i) => (i.rules = [{ kind: "not_null", column: "id", label: "id missing;urgent" }]), "rules[0].label", /like/],
    ["a format that does not exist", (i) => (i.format = "xml" as never), "format", /must be csv, jsonl, parquet or dms \(got "xml"\)/],
    ["dms options on a csv dataset", (i) => (i.dms = {}), "dms", /need format "dms"/],
    ["a csv header mode that does not exist", (i) => (i.csv = { header: "maybe" as never }), "csv.header", /present, absent or auto/],
    ["a required DMS timestamp column", (i) => { i.format = "dms"; i.cdc = undefined; i.dms = { timestampColumn: "at" }; }, "dms.timestampColumn", /declare at optional/],
    ["a DMS timestamp column that is not a timestamp", (i) => { i.format = "dms"; i.columns.ts = { type: "string", optional: true }; i.dms = { timestampColumn: "ts" }; }, "dms.timestampColumn", /DMS writes a timestamp/],
    ["an unknown partial-image mode", (i) => { i.format = "dms"; i.dms = { partialImages: "guess" as never }; }, "dms.partialImages", /keep_previous or as_written/],
    ["a target table that is not a name", (i) => (i.target = { table: "Things-2" }), "target.table", /must match/],
    ["an upper-case column (Glue and Lake Formation match lower case)", (i) => (i.columns.EMAIL = "string"), "columns.EMAIL", /must be lower case \(email\)/],
    ["a name too long for the AWS resources it names", (i) => (i.name = "salesforce_opportunity_line_item_schedule_splits"), "name", /name: is 48 characters, at most 40: it names AWS resources of at most 64/],
    ["a silver table named like a dimension", (i) => (i.target = { table: "dim_thing" }), "target.table", /dim_\* and fact_\* names belong to the semantic layer/],
    ["a silver table named like a fact", (i) => (i.target = { table: "fact_things" }), "target.table", /dim_\* and fact_\* names belong to the semantic layer/],
    ["a dataset name that makes a fact-like silver table", (i) => { i.name = "fact_things"; i.target = undefined; }, "name", /silver table fact_things: .*target\.table/],
    ["bad worker type", (i) => (i.target = { glue: { workerType: "G.9X" as never } }), "target.glue.workerType", /must be one of/],
    // Misspelt fields, at every depth: ignored, `pi` would leave a column in clear text.
    ["a misspelt pii field", (i) => Object.assign(i, { pi: [{ column: "price", mode: "hash" }] }), "pi", /unknown field \(known: name, prefix, .*pii/],
    ["a misspelt pii mode field", (i) => (i.pii = [{ column: "price", mod: "hash" } as never]), "pii[0].mod", /unknown field \(known: column, mode\)/],
    ["a misspelt column option", (i) => (i.columns.at = { type: "timestamp", optinal: true } as never), "columns.at.optinal", /unknown field \(known: type, optional, description\)/],
    ["a misspelt rule field", (i) => (i.rules = [{ kind: "range", column: "price", minimum: 0 } as never]), "rules[0].minimum", /unknown field \(known: kind, column, min, max/],
    ["a misspelt csv option", (i) => (i.csv = { delimeter: ";" } as never), "csv.delimeter", /unknown field \(known: delimiter, quote, nullValue, header\)/],
    ["a misspelt partition option", (i) => (i.partitionBy = { column: "at", granularity: "day" } as never), "partitionBy.granularity", /unknown field \(known: column, prefix\)/],
    ["a misspelt glue option", (i) => (i.target = { glue: { worker: 2 } } as never), "target.glue.worker", /unknown field/],
    ["a misspelt cdc option", (i) => (i.cdc = { opColumn: "Op", sequenceColumns: ["cdc_ts"], sequence: ["at"] } as never), "cdc.sequence", /unknown field/],
  ];
  for (const [what, mutate, field, message] of bad) {
    it(`rejects a spec with ${what}, naming the file and ${field}`, () => {
      const err = specError(mutate);
      expect(err.field).to.equal(field);
      expect(err.message).to.match(message);
      expect(err.file).to.match(/spec\.test\.ts$/);
    });
  }

  // The braces of \p{..} and \x{..} are no repetition and the `+` of \+ no possessive
  // quantifier: the checks above once refused \p{L}, the very class their message recommends.
  for (const pattern of ["^\\p{L}+$", "^\\p{Lu}\\p{Ll}*$", "^[\\p{L}_]+$", "^\\x{41}+$", "^\\++$", "^\\}+[a-z]{2,}$", "^\\Q(a+{\\E$"]) {
    it(`accepts the portable pattern ${pattern}`, () => {
      const spec = defineDataset({ ...base(), rules: [{ kind: "regex", column: "id", pattern }] });
      expect(spec.rules).to.have.length(1);
    });
  }

  it("rejects overlapping landing prefixes across datasets", () => {
    const a = defineDataset(base());
    const b = defineDataset({ ...base(), name: "sub", prefix: "things/sub/", target: { table: "sub" } });
    expect(() => checkRegistry([a, b])).to.throw(DatasetSpecError, /overlaps things\//);
  });

  it("rejects two datasets whose silver tables collide, the default name included", () => {
    const { target: _, ...noTarget } = base();
    const byDefault = defineDataset(noTarget);
    const explicit = defineDataset({ ...base(), name: "legacy", prefix: "legacy/", target: { table: "things" } });
    expect(() => checkRegistry([byDefault, explicit])).to.throw(DatasetSpecError, /target\.table: things is also the target of things$/);
  });

  it("accepts an upper-case prefix, as DMS writes an Oracle schema/table (SALES/ORDERS/)", () => {
    expect(defineDataset({ ...base(), prefix: "SALES/ORDERS/" }).prefix).to.equal("SALES/ORDERS/");
  });

  it("rejects prefixes that differ only in case: routing ignores case, so both would own one key", () => {
    const a = defineDataset(base());
    const b = defineDataset({ ...base(), name: "upper", prefix: "THINGS/", target: { table: "upper" } });
    const c = defineDataset({ ...base(), name: "sub", prefix: "Things/Sub/", target: { table: "sub" } });
    expect(() => checkRegistry([a, b])).to.throw(DatasetSpecError, /THINGS\/ overlaps things\//);
    expect(() => checkRegistry([a, c])).to.throw(DatasetSpecError, /overlaps things\//);
  });
});
