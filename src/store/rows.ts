/**
 * Rows to records for every store: columns are snake_case, records camelCase, and a `<name>_json`
 * column named in `json` is parsed into `<name>` (NULL stays null). Tables hold exactly their
 * record's fields, so one mapping serves them all; each store's round-trip tests check it.
 */
export function rowMapper<T>(json: readonly string[] = []): (row: unknown) => T {
  // A session's services are read on every event: each column's field name is worked out once.
  const fields = new Map<string, { key: string; parse: boolean }>();
  function fieldOf(column: string): { key: string; parse: boolean } {
    let field = fields.get(column);
    if (!field) {
      const parse = json.includes(column);
      field = { key: camelCase(parse ? column.slice(0, -'_json'.length) : column), parse };
      fields.set(column, field);
    }
    return field;
  }
  return function recordFromRow(row: unknown): T {
    const record: Record<string, unknown> = {};
    for (const column in row as Record<string, unknown>) {
      const value = (row as Record<string, unknown>)[column];
      const { key, parse } = fieldOf(column);
      record[key] = parse && value !== null ? JSON.parse(value as string) : value;
    }
    return record as T;
  };
}

function camelCase(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
