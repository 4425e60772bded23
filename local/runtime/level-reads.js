// dynalite 4 reads a query's items from an abstract-level value stream and destroys the stream
// (closing its iterator) as soon as it has the items it needs (the query's Limit, or 1 MB). A read
// still in flight then rejects "Iterator is not open: cannot read after close()", dynalite throws
// that error, and the audit store dies mid-request ("socket hang up": a fresh-clone demo's audit
// listing hit it once). No reader wants the value of a read made after its iterator closed, so
// such a read ends the iteration instead. Plain JavaScript: the dynalite child loads it.
"use strict";

/** Patches abstract-level's iterators (every kind shares CommonIterator.prototype.next). Idempotent. */
function endReadsAfterClose(abstractLevel) {
  const common = Object.getPrototypeOf(abstractLevel.AbstractValueIterator.prototype);
  if (common.next.endsReadsAfterClose) return;
  const next = common.next;
  const patched = async function (...args) {
    try {
      return await next.apply(this, args);
    } catch (err) {
      if (err && err.code === "LEVEL_ITERATOR_NOT_OPEN") return undefined;
      throw err;
    }
  };
  patched.endsReadsAfterClose = true;
  common.next = patched;
}

module.exports = { endReadsAfterClose };
