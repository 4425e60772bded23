// Ctrl-C (SIGINT) and SIGTERM for verbs that must not be killed mid-work: they run `action`
// instead of Node's default exit, until the returned function unsubscribes it.
export function onInterrupt(action: (signal: NodeJS.Signals) => void): () => void {
  process.on("SIGINT", action);
  process.on("SIGTERM", action);
  return () => {
    process.off("SIGINT", action);
    process.off("SIGTERM", action);
  };
}
