// A small RFC 4180 reader for the oracle: quoted fields, doubled quotes, embedded delimiters and
// line breaks, CRLF and a UTF-8 BOM. Empty fields (quoted or not) read as null, as the engine does.

export function parseCsv(text: string, delimiter = ","): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let field = "";
  let quoted = false;
  let inQuotes = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = (): void => {
    row.push(field === "" ? null : field);
    field = "";
    quoted = false;
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += ch;
    } else if (ch === '"' && field === "" && !quoted) {
      inQuotes = true;
      quoted = true;
    } else if (ch === delimiter) endField();
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endField();
      rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== "" || quoted || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}
