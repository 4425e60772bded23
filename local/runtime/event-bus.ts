// A local EventBridge bus: rules with the same patterns the infra declares (matched by
// datasets/routing.ts matchEventPattern), asynchronous delivery with a retry policy, and a
// dead-letter file for events whose target kept failing. Delivery is at-least-once, like AWS.
import { appendFileSync, mkdirSync } from "fs";
import { dirname } from "path";
import { EventPattern, matchEventPattern } from "../../datasets/routing";
import type { EventBridgeEvent } from "./events";

export interface BusRule {
  name: string;
  pattern: EventPattern;
  target(event: EventBridgeEvent): Promise<void>;
}

export interface EventBusOptions {
  /** Deliveries in flight at once (Lambda concurrency). @default 4 */
  concurrency?: number;
  /** Attempts per delivery before the dead-letter file. @default 3 */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt. @default 200 */
  retryDelayMs?: number;
  /** JSON-lines file receiving undeliverable events. */
  deadLetterPath?: string;
  /** Test hook: return true to lose an event (EventBridge events can be lost or never sent). */
  drop?(event: EventBridgeEvent): boolean;
  onDeadLetter?(event: EventBridgeEvent, rule: string, err: unknown): void;
}

export class EventBus {
  private readonly rules: BusRule[] = [];
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  constructor(private readonly options: EventBusOptions = {}) {
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  addRule(rule: BusRule): void {
    this.rules.push(rule);
  }

  /** Rules whose pattern matches; an event matching none is dropped, as EventBridge does. */
  matching(event: EventBridgeEvent): BusRule[] {
    return this.rules.filter((r) => matchEventPattern(r.pattern, event));
  }

  /**
   * Puts an event on the bus. The promise settles when every matching target handled it (or gave
   * up after the retry policy): true when all deliveries succeeded, false otherwise or unmatched.
   */
  put(event: EventBridgeEvent): Promise<boolean> {
    if (this.options.drop?.(event)) return Promise.resolve(false);
    const rules = this.matching(event);
    if (rules.length === 0) return Promise.resolve(false);
    return Promise.all(rules.map((rule) => this.enqueue(() => this.deliver(rule, event)))).then((ok) => ok.every(Boolean));
  }

  get busy(): boolean {
    return this.running > 0 || this.queue.length > 0;
  }

  /** Resolves once nothing is queued or being delivered. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async deliver(rule: BusRule, event: EventBridgeEvent): Promise<boolean> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        await rule.target(event);
        return true;
      } catch (err) {
        lastError = err;
        if (attempt < this.maxAttempts) await sleep(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    if (this.options.deadLetterPath) {
      mkdirSync(dirname(this.options.deadLetterPath), { recursive: true });
      const error = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
      appendFileSync(this.options.deadLetterPath, `${JSON.stringify({ rule: rule.name, error, event })}\n`);
    }
    this.options.onDeadLetter?.(event, rule.name, lastError);
    return false;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => task().then(resolve, reject));
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const task = this.queue.shift()!;
      this.running++;
      task().finally(() => {
        this.running--;
        this.pump();
        if (!this.busy) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
