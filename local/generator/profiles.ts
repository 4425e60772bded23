// What a row of each reference dataset looks like, and how each can be made bad. Values are
// produced as CSV-ready text in the spec's column order (without the key and cdc_ts, which the
// generator adds), so writing a row is one join.
import { ORDER_STATUSES } from "../../datasets/orders";
import { PAYMENT_METHODS } from "../../datasets/payments";
import type { Rng } from "./prng";
import { formatDate, formatSeconds, MICROS_PER_DAY, microsOf } from "./time-format";

/** A value-level corruption: mutates `values` and returns its kind (e.g. "negative_amount"). */
export type Corruption = (rng: Rng, values: string[]) => string;

export interface Profile {
  /** Spec columns between the key (first) and cdc_ts (last), in spec order. */
  columns: string[];
  values(rng: Rng, key: number, refs: References): string[];
  /** Corruptions that leave key, cdc_ts and Op parseable: the row lands in quarantine. */
  corruptions: Corruption[];
}

/**
 * How many keys each referenced dataset has (1..n): a foreign-key column (an order's customer_id,
 * an item's order_id and product_id, ...) is drawn from that range.
 */
export interface References {
  customers: number;
  orders: number;
  products: number;
}

/**
 * Ranges for a dataset generated on its own, sized for the million-row benchmarks. With small
 * datasets most references then name keys that were never loaded: pass the real key counts
 * (GenerateOptions.references) when the datasets are generated together, as the demo does.
 */
export const DEFAULT_REFERENCES: References = { customers: 50_000, orders: 200_000, products: 5_000 };

const BUSINESS_START = microsOf("2024-01-01T00:00:00Z");
const BUSINESS_DAYS = 1034; // through 2026-10-30: before the first change day

function businessTime(rng: Rng): number {
  return BUSINESS_START + rng.int(BUSINESS_DAYS) * MICROS_PER_DAY + rng.int(86_400) * 1_000_000;
}

function money(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const frac = abs % 100;
  return `${sign}${Math.floor(abs / 100)}.${frac < 10 ? "0" : ""}${frac}`;
}

/** Quotes a CSV field when it holds a delimiter, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const COUNTRIES = ["DE", "FR", "US", "GB", "NL", "ES", "IT", "PL", "SE", "JP"];
// Two brands need CSV quoting (a comma, a quote) so every load exercises quoted fields.
const BRANDS = ["Acme", "Globex", "Initech", csvField("Umbrella, Inc."), csvField('The "Best" Co'), "Hooli"];
const CATEGORIES = ["books", "garden", "toys", "kitchen", "sports", "music"];
const CARRIERS = ["DHL", "UPS", "FedEx", "GLS", "DPD"];

const set =
  (index: number, kind: string, bad: readonly string[]): Corruption =>
  (rng, values) => {
    values[index] = rng.pick(bad);
    return kind;
  };

const customers: Profile = {
  columns: ["email", "country", "signup_date"],
  values: (rng, key) => [`user${key}.${rng.int(1000)}@example.com`, rng.pick(COUNTRIES), formatDate(businessTime(rng))],
  corruptions: [
    set(1, "bad_country", ["usa", "U1", "Deu", "de"]),
    set(2, "bad_type:signup_date", ["not-a-date", "2026-13-40"]),
  ],
};

const products: Profile = {
  columns: ["brand", "category", "unit_price"],
  values: (rng) => [rng.pick(BRANDS), rng.pick(CATEGORIES), money(rng.between(50, 50_000))],
  corruptions: [
    (rng, v) => ((v[2] = money(-rng.between(1, 5_000))), "negative_amount"),
    set(2, "bad_type:unit_price", ["abc", "12.5.1"]),
  ],
};

const orders: Profile = {
  columns: ["customer_id", "order_ts", "status", "total_amount"],
  values: (rng, _key, refs) => [
    String(rng.between(1, refs.customers)),
    formatSeconds(businessTime(rng)),
    rng.pick(ORDER_STATUSES),
    money(rng.between(100, 200_000)),
  ],
  corruptions: [
    (rng, v) => {
      const i = rng.int(4);
      v[i] = "";
      return `null_required:${orders.columns[i]}`;
    },
    set(2, "unknown_status", ["lost", "on_hold"]),
    (rng, v) => ((v[3] = money(-rng.between(1, 10_000))), "negative_amount"),
    set(0, "bad_type:customer_id", ["c-17", "abc"]),
    set(1, "bad_type:order_ts", ["yesterday", "2026-13-01 00:00:00"]),
  ],
};

const orderItems: Profile = {
  columns: ["order_id", "product_id", "quantity", "unit_price", "line_total", "created_at"],
  values: (rng, _key, refs) => {
    const quantity = rng.between(1, 9);
    const cents = rng.between(50, 20_000);
    return [
      String(rng.between(1, refs.orders)),
      String(rng.between(1, refs.products)),
      String(quantity),
      money(cents),
      money(cents * quantity),
      formatSeconds(businessTime(rng)),
    ];
  },
  corruptions: [
    set(2, "bad_quantity", ["0", "-2"]),
    set(2, "bad_type:quantity", ["two", "many"]),
    set(5, "bad_type:created_at", ["nope", "2026-13-01 00:00:00"]),
  ],
};

const payments: Profile = {
  columns: ["order_id", "amount", "method", "paid_at"],
  values: (rng, _key, refs) => [
    String(rng.between(1, refs.orders)),
    money(rng.between(100, 200_000)),
    rng.pick(PAYMENT_METHODS),
    formatSeconds(businessTime(rng)),
  ],
  corruptions: [
    (rng, v) => ((v[1] = money(-rng.between(1, 10_000))), "negative_amount"),
    set(2, "unknown_method", ["cash", "crypto"]),
    set(3, "bad_type:paid_at", ["soon", "2026-13-01 00:00:00"]),
  ],
};

const shipments: Profile = {
  columns: ["order_id", "carrier", "shipped_at", "delivered_at"],
  values: (rng, _key, refs) => {
    const shipped = businessTime(rng);
    // About a third are still in transit: delivered_at is legitimately null.
    const delivered = rng.chance(0.33) ? "" : formatSeconds(shipped + rng.between(1, 10) * MICROS_PER_DAY);
    return [String(rng.between(1, refs.orders)), rng.pick(CARRIERS), formatSeconds(shipped), delivered];
  },
  corruptions: [
    (rng, v) => {
      const shipped = microsOf(`${v[2].replace(" ", "T")}Z`);
      v[3] = formatSeconds(shipped - rng.between(1, 5) * MICROS_PER_DAY);
      return "delivered_before_shipped";
    },
    set(2, "bad_type:shipped_at", ["later", "2026-13-01 00:00:00"]),
  ],
};

export const PROFILES: Record<string, Profile> = {
  customers,
  products,
  orders,
  order_items: orderItems,
  payments,
  shipments,
};
