import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DATASETS, defineDataset, type DatasetSpec } from "../../datasets";
import { REPO_ROOT } from "../../engine/repo-root";
import { recordingIo } from "../../local/cli-io";
import { main } from "../../local/cli";
import {
  MODELS,
  ModelSpecError,
  checkModels,
  defineDateDimension,
  defineDimension,
  defineFact,
  unregisteredModelFiles,
  type DateDimensionInput,
  type DimensionInput,
  type FactInput,
  type ModelSpec,
} from "../../models";

const F = __filename;

// Two datasets the reference six lack: a number-sequenced one and one with a composite key.
const ledger = defineDataset({
  name: "ledger",
  prefix: "ledger/",
  format: "csv",
  columns: { entry_id: "bigint", account: "string", amount: "decimal(10,2)", seq: "bigint" },
  primaryKey: ["entry_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seq"] },
  target: { table: "ledger" },
});
const lines = defineDataset({
  name: "lines",
  prefix: "lines/",
  format: "csv",
  columns: { doc_id: "bigint", line_no: "int", qty: "int", at: "timestamp" },
  primaryKey: ["doc_id", "line_no"],
  cdc: { opColumn: "Op", sequenceColumns: ["at"] },
  target: { table: "lines" },
});
const gauges = defineDataset({
  name: "gauges",
  prefix: "gauges/",
  format: "csv",
  columns: { reading: "double", label: "string", at: "timestamp" },
  primaryKey: ["reading"],
  cdc: { opColumn: "Op", sequenceColumns: ["at"] },
  target: { table: "gauges" },
});
const DS: readonly DatasetSpec[] = [...DATASETS, ledger, lines, gauges];

const dateInput = (): DateDimensionInput => ({ name: "dim_date", range: { from: "2020-01-01", to: "2030-12-31" }, fiscalYearStartMonth: 7 });
const dimInput = (): DimensionInput => ({ name: "dim_customer", source: "customers", naturalKey: "customer_id", attributes: { email: 2, country: 1 } });
const factInput = (): FactInput => ({
  name: "fact_order_items",
  source: "order_items",
  grain: ["order_item_id"],
  lookups: { order: { dataset: "orders", on: "order_id" } },
  dimensions: [{ dimension: "dim_customer", naturalKey: "order.customer_id", asOf: "order.order_ts" }],
  dates: [{ role: "order_date", column: "order.order_ts" }],
  measures: ["quantity", { name: "amount", column: "line_total" }],
  degenerate: ["order_id"],
  partitionBy: { dateRole: "order_date" },
});

function message(define: () => unknown): string {
  try {
    define();
  } catch (e) {
    expect(e).to.be.instanceOf(ModelSpecError);
    expect((e as Error).message).to.not.include("\n");
    return (e as Error).message;
  }
  throw new Error("expected a ModelSpecError");
}

const date = (mutate: (i: DateDimensionInput) => void) => message(() => defineDateDimension(withChange(dateInput(), mutate), DS));
const dim = (mutate: (i: DimensionInput) => void) => message(() => defineDimension(withChange(dimInput(), mutate), DS));
const fact = (mutate: (i: FactInput) => void) => message(() => defineFact(withChange(factInput(), mutate), DS));
function withChange<T>(input: T, mutate: (i: T) => void): T {
  mutate(input);
  return input;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

describe("model specs", () => {
  it("accepts the reference star and normalizes references", () => {
    expect(MODELS.map((m) => m.name)).to.deep.equal(["dim_date", "dim_customer", "dim_product", "fact_orders", "fact_order_items", "fact_payments", "fact_shipments"]);
    const items = defineFact(factInput(), DS);
    expect(items.dimensions).to.deep.equal([
      { dimension: "dim_customer", role: "customer", keyColumn: "customer_key", naturalKey: { lookup: "order", column: "customer_id" }, asOf: { lookup: "order", column: "order_ts" } },
    ]);
    expect(items.measures).to.deep.equal([
      { name: "quantity", column: { lookup: null, column: "quantity" } },
      { name: "amount", column: { lookup: null, column: "line_total" } },
    ]);
    expect(items.sourceFile).to.equal(F);
    const customer = defineDimension(dimInput(), DS);
    expect(customer).to.include({ surrogateKey: "customer_key", deletes: "close", inferredMembers: false });
    expect(customer.attributes).to.deep.equal([{ name: "email", scd: 2 }, { name: "country", scd: 1 }]);
  });

  describe("every wrong input is one line naming the file and field", () => {
    const cases: Array<[string, () => string, string]> = [
      // names and fields
      ["dimension name prefix", () => dim((i) => (i.name = "customer")), "name: a dimension's name starts with dim_ (got customer)"],
      ["fact name prefix", () => fact((i) => (i.name = "orders_fact")), "name: a fact's name starts with fact_ (got orders_fact)"],
      ["bad name", () => date((i) => (i.name = "Dim-Date")), 'name: must match /^[a-z][a-z0-9_]*$/ (got "Dim-Date")'],
      ["name too long", () => date((i) => (i.name = "dim_date_of_the_fiscal_calendar_of_emea_ops")), 'name: is 43 characters, at most 40: it names AWS resources of at most 64 (got "dim_date_of_the_fiscal_calendar_of_emea_ops")'],
      ["misspelt field", () => fact((i) => ((i as Loose).partitonBy = { dateRole: "order_date" })), "partitonBy: unknown field (known: name, description, source, grain, lookups, dimensions, dates, measures, degenerate, partitionBy)"],
      // date dimension
      ["date not a calendar day", () => date((i) => (i.range.from = "2021-02-29")), 'range.from: must be a date YYYY-MM-DD (got "2021-02-29")'],
      ["date to malformed", () => date((i) => (i.range.to = "2030/12/31")), 'range.to: must be a date YYYY-MM-DD (got "2030/12/31")'],
      ["from after to", () => date((i) => (i.range = { from: "2030-01-02", to: "2030-01-01" })), "range: from 2030-01-02 is after to 2030-01-01"],
      ["range too long", () => date((i) => (i.range = { from: "2000-01-01", to: "2200-01-01" })), "range: 2000-01-01..2200-01-01 spans more than 200 years"],
      ["fiscal month", () => date((i) => (i.fiscalYearStartMonth = 13)), "fiscalYearStartMonth: must be a month 1-12 (got 13)"],
      ["fiscal month fraction", () => date((i) => (i.fiscalYearStartMonth = 6.5)), "fiscalYearStartMonth: must be a month 1-12 (got 6.5)"],
      ["holidays file missing", () => date((i) => (i.holidaysFile = "models/no-such-holidays.csv")), "holidaysFile: models/no-such-holidays.csv does not exist (paths are relative to the repository root)"],
      // dimensions
      ["unknown dataset", () => dim((i) => (i.source = "clients")), 'source: unknown dataset "clients" (known: customers, products, orders, order_items, payments, shipments, ledger, lines, gauges)'],
      ["sequence not a time", () => dim((i) => Object.assign(i, { name: "dim_ledger", source: "ledger", naturalKey: "entry_id", attributes: { account: 2 } })), "source: ledger is sequenced by seq (bigint); a dimension's valid_from needs a CDC sequence whose first column is a timestamp or date"],
      ["natural key not the key", () => dim((i) => (i.naturalKey = "email")), 'naturalKey: must be the single-column primary key of customers (customer_id; got "email")'],
      [
        "natural key a double",
        () => dim((i) => Object.assign(i, { name: "dim_gauge", source: "gauges", naturalKey: "reading", attributes: { label: 2 } })),
        "naturalKey: reading is a double, which cannot key versions the same way on both engines: declare it decimal(p,s), bigint or string in gauges",
      ],
      ["composite key", () => dim((i) => Object.assign(i, { name: "dim_line", source: "lines", naturalKey: "doc_id", attributes: { qty: 2 } })), 'naturalKey: must be the single-column primary key of lines (doc_id, line_no; got "doc_id")'],
      ["attribute not a column", () => dim((i) => (i.attributes = { phone: 2 })), "attributes.phone: not a column of customers"],
      ["attribute is the key", () => dim((i) => (i.attributes = { customer_id: 2 })), "attributes.customer_id: is the natural key"],
      ["attribute through a lookup", () => dim((i) => (i.attributes = { "order.status": 2 })), "attributes.order.status: a dimension has no lookups: attributes are columns of its source"],
      ["SCD type", () => dim((i) => (i.attributes = { email: 3 as Loose })), "attributes.email: SCD type must be 1 or 2 (got 3)"],
      ["no attributes", () => dim((i) => (i.attributes = {})), "attributes: needs at least one attribute (a dimension of keys alone describes nothing)"],
      ["deletes value", () => dim((i) => (i.deletes = "drop" as Loose)), 'deletes: must be "close" or "ignore" (got "drop")'],
      ["surrogate key clashes", () => dim((i) => (i.surrogateKey = "email")), "surrogateKey: email is already a column of customers"],
      ["inferred members", () => dim((i) => (i.inferredMembers = "yes" as Loose)), 'inferredMembers: must be true or false (got "yes")'],
      // facts: grain
      ["grain column missing", () => fact((i) => (i.grain = ["order_item_id", "line_no"])), "grain[1]: line_no is not a column of order_items"],
      ["grain without the key", () => fact((i) => (i.grain = ["order_id"])), "grain: must include the primary key of order_items (missing order_item_id): one fact row per silver row"],
      ["grain through a lookup", () => fact((i) => (i.grain = ["order.order_id"])), "grain[0]: the grain is columns of the source, not of a lookup"],
      // lookups
      ["lookup dataset", () => fact((i) => (i.lookups = { order: { dataset: "purchases", on: "order_id" } })), 'lookups.order.dataset: unknown dataset "purchases" (known: customers, products, orders, order_items, payments, shipments, ledger, lines, gauges)'],
      ["lookup on missing", () => fact((i) => (i.lookups = { order: { dataset: "orders", on: "purchase_id" } })), "lookups.order.on: purchase_id is not a column of order_items"],
      ["lookup name clash", () => fact((i) => (i.lookups = { order_id: { dataset: "orders", on: "order_id" } })), "lookups.order_id: order_id is also a column of order_items; name the lookup differently"],
      ["lookup of a lookup", () => fact((i) => (i.lookups = { order: { dataset: "orders", on: "order_id" }, customer: { dataset: "customers", on: "order.customer_id" } })), "lookups.customer.on: a lookup joins from a column of order_items; a lookup of a lookup (order.customer_id) is not supported"],
      ["lookup key type", () => fact((i) => (i.lookups = { order: { dataset: "orders", on: "quantity" } })), "lookups.order.on: quantity is int but orders.order_id is bigint"],
      // column refs
      ["unknown lookup", () => fact((i) => (i.dates = [{ role: "order_date", column: "purchase.order_ts" }])), 'dates[0].column: unknown lookup "purchase" (declared: order)'],
      ["unknown lookup column", () => fact((i) => (i.degenerate = ["order.channel"])), "degenerate[0]: channel is not a column of orders (lookup order)"],
      ["ref of a lookup of a lookup", () => fact((i) => (i.degenerate = ["order.customer.country"])), "degenerate[0]: order.customer.country: a lookup of a lookup is not supported (declare a lookup from the source instead)"],
      // dimension roles
      ["duplicate role", () => fact((i) => i.dimensions!.push({ dimension: "dim_customer", naturalKey: "order.customer_id", asOf: "created_at" })), "dimensions[1].role: role customer is declared twice (give each use of dim_customer its own role)"],
      ["asOf not a time", () => fact((i) => (i.dimensions![0].asOf = "order.status")), "dimensions[0].asOf: order.status is string; it must be a date or timestamp column"],
      ["dimension not dim_", () => fact((i) => (i.dimensions![0].dimension = "customers")), 'dimensions[0].dimension: must name a dimension model dim_... (got "customers")'],
      // date roles
      ["date role not a time", () => fact((i) => (i.dates = [{ role: "order_date", column: "quantity" }])), "dates[0].column: quantity is int; it must be a date or timestamp column"],
      ["duplicate date role", () => fact((i) => i.dates!.push({ role: "order_date", column: "created_at" })), "dates[1].role: date role order_date is declared twice"],
      // measures
      ["measure not numeric", () => fact((i) => (i.measures = ["created_at"])), "measures[0]: created_at is timestamp; a measure must be numeric"],
      ["named measure not numeric", () => fact((i) => (i.measures = [{ name: "st", column: "order.status" }])), "measures[0].column: order.status is string; a measure must be numeric"],
      ["daysBetween not times", () => fact((i) => (i.measures = [{ name: "days", daysBetween: ["created_at", "quantity"] }])), "measures[0].daysBetween[1]: quantity is int; it must be a date or timestamp column"],
      ["daysBetween one column", () => fact((i) => (i.measures = [{ name: "days", daysBetween: ["created_at"] as Loose }])), "measures[0].daysBetween: needs two date or timestamp columns [from, to]"],
      ["duplicate output column", () => fact((i) => (i.measures = ["quantity", { name: "quantity", column: "line_total" }])), "measures[1]: output column quantity is also measures[0]"],
      ["measure named like a key", () => fact((i) => (i.measures = [{ name: "customer_key", column: "line_total" }])), "measures[0]: output column customer_key is also dimensions[0].role"],
      ["degenerate twice", () => fact((i) => (i.degenerate = ["order_id", "order.order_id"])), "degenerate[1]: output column order_id is also degenerate[0]"],
      ["date role and dimension role clash", () => fact((i) => (i.dates = [{ role: "customer", column: "created_at" }])), "dates[0].role: output column customer_key is also dimensions[0].role"],
      // misspelt fields inside a fact's lists and objects (an optional one would be ignored: the role's key column named customer_key)
      ["a misspelt role", () => fact((i) => (i.dimensions = [{ dimension: "dim_customer", rol: "buyer", naturalKey: "order.customer_id", asOf: "order.order_ts" } as Loose])), "dimensions[0].rol: unknown field (known: dimension, role, naturalKey, asOf)"],
      ["a misspelt lookup field", () => fact((i) => (i.lookups = { order: { dataset: "orders", on: "order_id", onn: "x" } as Loose })), "lookups.order.onn: unknown field (known: dataset, on)"],
      ["a misspelt date role field", () => fact((i) => (i.dates = [{ role: "order_date", column: "order.order_ts", colum: "x" } as Loose])), "dates[0].colum: unknown field (known: role, column)"],
      ["a misspelt measure field", () => fact((i) => (i.measures = [{ name: "days", column: "quantity", daysBetwen: ["created_at", "created_at"] } as Loose])), "measures[0].daysBetwen: unknown field (known: name, column, daysBetween)"],
      ["a misspelt partitionBy field", () => fact((i) => (i.partitionBy = { dateRole: "order_date", dateRol: "x" } as Loose)), "partitionBy.dateRol: unknown field (known: dateRole)"],
      // partitioning
      ["partition role", () => fact((i) => (i.partitionBy = { dateRole: "created_date" })), 'partitionBy.dateRole: must name a date role (declared: order_date; got "created_date")'],
      // The table holds the partition date as a column named after the role (engine/models/fact.ts).
      ["partition column named like a grain column", () => fact((i) => ((i.dates = [{ role: "order_item_id", column: "created_at" }]), (i.partitionBy = { dateRole: "order_item_id" }))), "partitionBy.dateRole: output column order_item_id is also grain[0]"],
      ["measure named like a grain column", () => fact((i) => (i.measures = [{ name: "order_item_id", column: "quantity" }])), "measures[0]: output column order_item_id is also grain[0]"],
      ["partition column named like another output", () => fact((i) => (i.measures = [{ name: "order_date", column: "quantity" }])), "partitionBy.dateRole: output column order_date is also measures[0]"],
    ];
    for (const [title, run, expected] of cases) {
      it(title, () => expect(run()).to.equal(`${F}: ${expected}`));
    }
  });

  describe("holidays file", () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), "holidays-"))));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const withFile = (text: string) => {
      const file = join(dir, `h${Math.random().toString(36).slice(2)}.csv`);
      writeFileSync(file, text);
      return file;
    };

    it("accepts a file with dates in range (quoted names may hold commas)", () => {
      const file = withFile('date,name\n2024-12-25,Christmas\n2025-01-01,"New Year, Day"\n');
      expect(defineDateDimension({ ...dateInput(), holidaysFile: file }, DS).holidaysFile).to.equal(file);
    });

    it("refuses dates outside the range, repeated, malformed, and a file without a date column", () => {
      const out = withFile("date,name\n2019-12-25,Christmas\n");
      expect(date((i) => (i.holidaysFile = out))).to.equal(`${F}: holidaysFile: ${out} line 2: 2019-12-25 is outside the range 2020-01-01..2030-12-31`);
      const twice = withFile("date\n2024-12-25\n2024-01-01\n2024-12-25\n");
      expect(date((i) => (i.holidaysFile = twice))).to.equal(`${F}: holidaysFile: ${twice} line 4: 2024-12-25 repeats line 2`);
      const bad = withFile("date,name\n2024-13-01,x\n");
      expect(date((i) => (i.holidaysFile = bad))).to.equal(`${F}: holidaysFile: ${bad} line 2: "2024-13-01" is not a date YYYY-MM-DD`);
      const header = withFile("day,name\n2024-12-25,x\n");
      expect(date((i) => (i.holidaysFile = header))).to.equal(`${F}: holidaysFile: ${header} needs a header row with a date column (got "day,name")`);
    });
  });

  describe("checkModels (the registry)", () => {
    const star = (): ModelSpec[] => [defineDateDimension(dateInput(), DS), defineDimension(dimInput(), DS), defineFact(factInput(), DS)];
    const crossError = (models: ModelSpec[]) => message(() => checkModels(models, DS));

    it("accepts a consistent star", () => {
      expect(checkModels(star(), DS).map((m) => m.name)).to.deep.equal(["dim_date", "dim_customer", "fact_order_items"]);
    });

    it("refuses a name declared twice, and a model named like a dataset", () => {
      expect(crossError([...star(), defineDimension(dimInput(), DS)])).to.equal(`${F}: name: dim_customer is also declared in ${F}`);
      expect(crossError([defineDateDimension({ ...dateInput(), name: "orders" }, DS)])).to.equal(`${F}: name: orders is the name of a dataset (its silver table)`);
    });

    it("refuses a fact whose dimension is not a declared dimension model", () => {
      const [dates, , items] = star();
      expect(crossError([dates, items])).to.equal(`${F}: dimensions[0].dimension: unknown dimension model dim_customer (declared: none)`);
      const named = defineFact({ ...factInput(), dimensions: [{ dimension: "dim_date", naturalKey: "order_id", asOf: "created_at" }] }, DS);
      expect(crossError([dates, named])).to.equal(`${F}: dimensions[0].dimension: dim_date is a date model, not a dimension (declared: none)`);
    });

    it("refuses a fact natural key whose type differs from the dimension's natural key", () => {
      const [dates, customer] = star();
      const wrong = defineFact({ ...factInput(), dimensions: [{ dimension: "dim_customer", naturalKey: "order.status", asOf: "created_at" }] }, DS);
      expect(crossError([dates, customer, wrong])).to.equal(`${F}: dimensions[0].naturalKey: order.status is string but dim_customer's natural key customer_id is bigint`);
    });

    it("needs exactly one date dimension when a fact has date roles", () => {
      const [dates, customer, items] = star();
      expect(crossError([customer, items])).to.equal(`${F}: dates: date roles need exactly one date dimension model (found none)`);
      const second = defineDateDimension({ ...dateInput(), name: "dim_calendar" }, DS);
      expect(crossError([dates, second, customer, items])).to.equal(`${F}: dates: date roles need exactly one date dimension model (found dim_date, dim_calendar)`);
      expect(checkModels([customer, defineFact({ ...factInput(), dates: [], partitionBy: undefined }, DS)], DS)).to.have.length(2);
    });

    it("refuses inferred members on a dimension no fact names", () => {
      const [dates, , items] = star();
      const inferring = defineDimension({ ...dimInput(), inferredMembers: true }, DS);
      expect(checkModels([dates, inferring, items], DS)).to.have.length(3);
      expect(crossError([dates, inferring])).to.equal(`${F}: inferredMembers: no fact has a role on dim_customer, so there is nothing to infer members from`);
    });
  });

  describe("unregistered model files", () => {
    it("lists a models/ file calling define* that models/index.ts does not import", () => {
      const dir = mkdtempSync(join(tmpdir(), "models-"));
      try {
        mkdirSync(dir, { recursive: true });
        for (const f of ["index.ts", "define.ts", "dim_date.ts", "validate.ts"]) copyFileSync(join(REPO_ROOT, "models", f), join(dir, f));
        writeFileSync(join(dir, "dim_store.ts"), 'import { defineDimension } from "./define";\nexport default defineDimension({} as never);\n');
        expect(unregisteredModelFiles(dir)).to.deep.equal(["dim_store.ts"]);
        expect(unregisteredModelFiles(join(REPO_ROOT, "models"))).to.deep.equal([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("makes every datalake verb fail with one line naming the file", async () => {
      const stray = join(REPO_ROOT, "models", "zz_stray_model_test.ts");
      writeFileSync(stray, 'import { defineFact } from "./define";\nexport default defineFact({} as never);\n');
      try {
        const io = recordingIo();
        const code = await main(["--version"], io);
        expect(code).to.equal(1);
        expect(io.stderr).to.deep.equal(["datalake: models/zz_stray_model_test.ts declares a model but models/index.ts does not register it (add it to MODELS)"]);
      } finally {
        rmSync(stray);
      }
    });
  });
});
