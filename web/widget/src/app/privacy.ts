// Privacy helpers of the chat (docs/privacy.md): the coarse fingerprint some sites ask for,
// and saving the visitor's export as a file.

/**
 * Coarse signals only: user agent, language, time zone and a screen size class. The server
 * keeps a keyed hash of it, never the text. Sent only where the site set identify:
 * fingerprint, and never before consent on opt_in sites.
 */
export function coarseFingerprint(win: Window): string {
  const nav = win.navigator;
  let zone = '';
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    // no Intl time zone: leave it out
  }
  const w = win.screen?.width ?? 0;
  const size = w < 640 ? 'small' : w < 1280 ? 'medium' : 'large';
  return [nav.userAgent, nav.language, zone, size].join('|').slice(0, 256);
}

/** Offers blob to the visitor as a download named name. */
export function saveFile(win: Window, blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = win.document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  win.document.body.appendChild(a);
  a.click();
  a.remove();
  win.setTimeout(() => URL.revokeObjectURL(url), 10000);
}
