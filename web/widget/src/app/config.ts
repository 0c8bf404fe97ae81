// The site's public widget configuration (GET /api/v1/sites/{site}/config), normalised into
// one shape. Both layouts the server may send are read: the look under "widget" (or
// "branding"), and texts/suggestions either inside it or at the top level.

export interface SiteConfig {
  siteId: string;
  name: string;
  allowedOrigins: string[];
  language: string;
  maxMessageLength: number;
  allowRemoteImages: boolean;
  imageHosts: string[];
  /** The server refuses a first message sent sooner than this after session creation (0 = no rule). */
  minFirstMessageDelayMs: number;
  title: string;
  subtitle: string;
  primaryColor: string;
  textColor: string;
  avatarUrl: string;
  position: 'left' | 'right';
  suggestions: string[];
  /** Text overrides, including welcome/placeholder/title/subtitle when the site sets them. */
  texts: Record<string, string>;
  /** none | notice | opt_in (docs/privacy.md#consent); anything unknown is treated as opt_in. */
  consent: Consent;
  /** https link shown in the privacy notice, '' when none. */
  privacyPolicyUrl: string;
  /** Send a coarse fingerprint (only with identify: fingerprint, and never before consent). */
  fingerprint: boolean;
}

export type Consent = 'none' | 'notice' | 'opt_in';

/** The strictest reading wins: a value the widget does not know asks for consent. */
function consentOf(v: unknown): Consent {
  if (v === undefined || v === null || v === '' || v === 'notice') return 'notice';
  return v === 'none' ? 'none' : 'opt_in';
}

function httpsOnly(v: unknown): string {
  const s = str(v);
  try {
    return new URL(s).protocol === 'https:' ? s : '';
  } catch {
    return '';
  }
}

type Raw = Record<string, unknown>;

const obj = (v: unknown): Raw => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/** Only plain colour syntaxes are accepted, so a config value can never carry other CSS. */
export function safeColor(v: unknown, fallback: string): string {
  if (typeof v !== 'string') return fallback;
  return /^#[0-9a-f]{3,8}$/i.test(v) || /^(rgb|rgba|hsl|hsla)\([\d\s.,%/deg]+\)$/i.test(v) ? v : fallback;
}

/** Avatars must be https (or same-origin paths): anything else is dropped. */
function safeAvatar(v: unknown): string {
  const s = str(v);
  if (s.startsWith('/') && !s.startsWith('//')) return s;
  try {
    return new URL(s).protocol === 'https:' ? s : '';
  } catch {
    return '';
  }
}

export function normaliseConfig(input: unknown, siteId: string): SiteConfig {
  const raw = obj(input);
  const look = { ...obj(raw.branding), ...obj(raw.widget) };
  const texts: Record<string, string> = {};
  for (const key of ['title', 'subtitle', 'welcome', 'placeholder'] as const) {
    const v = str(look[key]) || str(obj(raw.texts)[key]);
    if (v) texts[key] = v;
  }
  for (const source of [obj(raw.texts), obj(look.texts)]) {
    for (const [k, v] of Object.entries(source)) if (typeof v === 'string' && v !== '') texts[k] = v;
  }
  const suggestions = strings(look.suggestions).length > 0 ? strings(look.suggestions) : strings(raw.suggestions);
  const max = Number(raw.max_message_length);
  const delay = raw.min_first_message_delay_ms;
  return {
    siteId: str(raw.site_id, siteId),
    name: str(raw.name),
    allowedOrigins: strings(raw.allowed_origins),
    language: str(raw.language ?? look.language, 'auto'),
    maxMessageLength: Number.isInteger(max) && max > 0 ? max : 4000,
    allowRemoteImages: raw.allow_remote_images === true,
    imageHosts: strings(raw.image_hosts),
    // Bounded so a wrong config cannot hold messages for long.
    minFirstMessageDelayMs: typeof delay === 'number' && delay > 0 ? Math.min(delay, 10000) : 0,
    title: str(look.title) || str(raw.name),
    subtitle: str(look.subtitle),
    primaryColor: safeColor(look.primary_color, '#4f46e5'),
    textColor: safeColor(look.text_color, '#ffffff'),
    avatarUrl: safeAvatar(look.avatar_url),
    position: look.position === 'left' ? 'left' : 'right',
    suggestions: suggestions.slice(0, 6),
    texts,
    consent: consentOf(raw.consent),
    privacyPolicyUrl: httpsOnly(raw.privacy_policy_url),
    fingerprint: raw.identify === 'fingerprint',
  };
}

/**
 * True when `origin` is allowed by the site: an exact match, or a "https://*.shop.com"
 * wildcard that matches subdomains only (the same rule the server applies).
 */
export function originAllowed(origin: string, allowed: string[]): boolean {
  return allowed.some((rule) => {
    if (rule === origin) return true;
    const star = rule.indexOf('://*.');
    if (star < 0) return false;
    const scheme = rule.slice(0, star + 3);
    const suffix = rule.slice(star + 4); // ".shop.com" (with optional :port)
    return origin.startsWith(scheme) && origin.endsWith(suffix) && origin.length > scheme.length + suffix.length;
  });
}
