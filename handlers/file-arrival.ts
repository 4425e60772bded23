// Lambda entry: EventBridge "Object Created" (landing bucket) -> handlers/core/file-arrival.ts.
import { createAwsDeps } from "./aws/runtime";
import { ArrivalResult, handleFileArrival } from "./core/file-arrival";

const deps = createAwsDeps("file-arrival");

export const handler = (event: unknown): Promise<ArrivalResult> => handleFileArrival(deps, event);
