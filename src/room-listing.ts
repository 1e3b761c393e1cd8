/**
 * Which rooms are listed (`GET /api/rooms`, live and recent, and so `/`): not private rooms, and not
 * support conversations or their notes (protocol 6.5). One rule, written for each place that
 * applies it: TypeScript, SQL (both stores) and the presence scripts' Lua.
 */
const unlisted = ['private-', 'conv-', 'note-'] as const;

export function isListed(room: string): boolean {
  return !unlisted.some((prefix) => room.startsWith(prefix));
}

/** The rule as an SQL condition on a text column (SQLite and PostgreSQL both have `substr`). */
export function listedSql(column: string): string {
  return unlisted.map((prefix) => `substr(${column}, 1, ${prefix.length}) <> '${prefix}'`).join(' AND ');
}

/** The rule as a Lua condition on a string expression. */
export function listedLua(expression: string): string {
  return unlisted.map((prefix) => `string.sub(${expression}, 1, ${prefix.length}) ~= '${prefix}'`).join(' and ');
}
