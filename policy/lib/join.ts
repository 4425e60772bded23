// Joins a configuration resource to the resource one of its properties points at, e.g. a
// BucketVersioning to its Bucket through `bucket`. The engine tells us which resource a property
// came from (propertyDeps) even while the value itself is unknown; under test mocks there are no
// property dependencies, so known values are matched against each candidate's refs instead.
import { PolicyRes, isUnknown } from "./model";

function matchesRef(value: string, candidate: PolicyRes): boolean {
  return candidate.refs.some((ref) => ref === value);
}

export function referencedBy(res: PolicyRes, prop: string, candidates: PolicyRes[]): PolicyRes[] {
  const fromDeps = res.propertyDeps[prop];
  if (fromDeps && fromDeps.length > 0) {
    const hits = candidates.filter((c) => fromDeps.includes(c.urn));
    if (hits.length > 0) return hits;
  }
  const value = res.props[prop];
  if (typeof value === "string" && value !== "") {
    return candidates.filter((c) => matchesRef(value, c));
  }
  if (isUnknown(value)) {
    // Unknown value and no property dependency: fall back to the resource's dependencies, but only
    // when exactly one candidate qualifies (a BucketLogging depends on two buckets).
    const hits = candidates.filter((c) => res.deps.includes(c.urn));
    return hits.length === 1 ? hits : [];
  }
  return [];
}

/** Groups configuration resources by the target they reference (target urn -> configs). */
export function configsByTarget(
  configs: PolicyRes[],
  prop: string,
  targets: PolicyRes[],
): Map<string, PolicyRes[]> {
  const map = new Map<string, PolicyRes[]>();
  for (const target of targets) map.set(target.urn, []);
  for (const config of configs) {
    for (const target of referencedBy(config, prop, targets)) map.get(target.urn)?.push(config);
  }
  return map;
}
