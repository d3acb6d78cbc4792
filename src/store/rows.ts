/**
 * Rows to records for every store: columns are snake_case, records camelCase, and a `<name>_json`
 * column named in `json` is parsed into `<name>` (NULL stays null). Tables hold exactly their
 * record's fields, so one mapping serves them all; each store's round-trip tests check it.
 */
export function rowMapper<T>(json: readonly string[] = []): (row: unknown) => T {
  return function recordFromRow(row: unknown): T {
    const record: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row as Record<string, unknown>)) {
      if (json.includes(column)) record[camelCase(column.slice(0, -'_json'.length))] = value === null ? null : JSON.parse(value as string);
      else record[camelCase(column)] = value;
    }
    return record as T;
  };
}

function camelCase(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
