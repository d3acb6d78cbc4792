/**
 * The browser bundle imports the spec layer's validator, whose migration module imports
 * `randomUUID` from node:crypto (used only when migrating old files, never while validating).
 * Vite aliases node:crypto here; Web Crypto has the same function.
 */
export function randomUUID(): string {
  return globalThis.crypto.randomUUID();
}
