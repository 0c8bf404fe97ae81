// The console's live preview: the operator console (same origin as the preview page, both
// under /admin/) posts the site being edited, unsaved, to the widget running in an iframe.
// Only a message from the page's own origin and from its direct parent is read, and only
// when it is a well-formed, size-bounded draft; normaliseConfig then keeps only safe colours
// and https avatars, exactly as for a saved site's config.

/** Largest draft accepted, as JSON characters (a site body is at most 256 KiB). */
export const MAX_DRAFT_CHARS = 262144;

/** The console → preview message: the draft site in the admin API's shape. */
export interface PreviewDraft {
  type: 'chatproxy:preview';
  site: Record<string, unknown>;
}

/** The preview → console message once it listens. */
export const PREVIEW_READY = 'chatproxy:preview-ready';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the draft when `data` is a well-formed preview message, else null. */
export function parsePreviewMessage(data: unknown): PreviewDraft | null {
  if (!isObject(data) || data.type !== 'chatproxy:preview' || !isObject(data.site)) return null;
  let size: number;
  try {
    size = JSON.stringify(data).length;
  } catch {
    return null;
  }
  return size <= MAX_DRAFT_CHARS ? { type: 'chatproxy:preview', site: data.site } : null;
}

/** True when a message event may be read: same origin as this page, sent by its parent frame. */
export function trustedSender(e: { origin: string; source: unknown }, win: { location: { origin: string }; parent: unknown }): boolean {
  return win.parent !== win && e.source === win.parent && e.origin === win.location.origin;
}

/**
 * Maps a site in the admin API's shape (docs/api.md, "site") to the public config the widget
 * reads (GET /api/v1/sites/{id}/config), the way the server derives one from the other.
 */
export function publicFromDraft(site: Raw): Raw {
  const widget = isObject(site.widget) ? site.widget : {};
  const limits = isObject(site.limits) ? site.limits : {};
  const abuse = isObject(site.abuse) ? site.abuse : {};
  const { language, allow_remote_images, image_hosts, ...look } = widget;
  return {
    site_id: typeof site.id === 'string' ? site.id : 'preview',
    name: typeof site.name === 'string' ? site.name : '',
    allowed_origins: [],
    language: typeof language === 'string' && language !== '' ? language : 'auto',
    max_message_length: limits.max_message_length,
    allow_remote_images: allow_remote_images === true,
    image_hosts: Array.isArray(image_hosts) ? image_hosts : [],
    min_first_message_delay_ms: abuse.min_first_message_delay_ms,
    widget: look,
    consent: site.consent,
    privacy_policy_url: site.privacy_policy_url,
    identify: site.identify,
  };
}
