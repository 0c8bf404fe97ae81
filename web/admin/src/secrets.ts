// An HS256 secret the server returned once (site creation, rotation), held in memory only
// until the Install page shows it: never in the URL, storage or history.

const held = new Map<string, string>();

export function holdSecret(siteId: string, secret: string): void {
  held.set(siteId, secret);
}

export function takeSecret(siteId: string): string {
  const s = held.get(siteId) ?? '';
  held.delete(siteId);
  return s;
}
