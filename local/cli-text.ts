// Messages are printed as one line: engines (DuckDB) put hints and context on later lines.
export function firstLine(message: string): string {
  return message.split("\n")[0].trim();
}
