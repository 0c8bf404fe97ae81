// The postMessage protocol between the host-page loader (embed.js) and the chat iframe.
// Both sides post with an exact targetOrigin and accept a message only when its origin,
// its source window and its shape all check out (docs/security.md, widget row). Anything else is
// dropped silently.

/** Largest accepted message, as JSON characters; chat text may be long, control messages are tiny. */
export const MAX_CONTROL_CHARS = 4096;
export const MAX_TEXT_CHARS = 16384;

/** Keys the iframe may ask the loader to keep in the host's first-party localStorage. */
export const STORE_KEY_PATTERN = /^[a-z0-9_-]{1,32}$/;

/** Messages the loader sends to the iframe. */
export type HostMessage =
  | { type: 'chatproxy:open' }
  | { type: 'chatproxy:close' }
  | { type: 'chatproxy:send'; text: string }
  | { type: 'chatproxy:context'; context: Record<string, unknown> }
  | { type: 'chatproxy:page'; url: string; mobile: boolean }
  | { type: 'chatproxy:restore'; ok: boolean; values: Record<string, string> }
  | { type: 'chatproxy:consent'; granted: boolean };

/** Messages the iframe sends to the loader. */
export type FrameMessage =
  | { type: 'chatproxy:ready' }
  | { type: 'chatproxy:close' }
  | { type: 'chatproxy:store'; key: string; value: string | null }
  | { type: 'chatproxy:unread'; count: number }
  | { type: 'chatproxy:message'; role: 'user' | 'assistant'; text: string }
  | { type: 'chatproxy:visitor'; id: string };

type Loose = Record<string, unknown>;

function isObject(v: unknown): v is Loose {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sizeOf(v: unknown): number {
  try {
    return JSON.stringify(v).length;
  } catch {
    return Infinity;
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.keys(v).every((k) => typeof v[k] === 'string');
}

/** Returns the message when `data` is a well-formed loader→iframe message, else null. */
export function parseHostMessage(data: unknown): HostMessage | null {
  if (!isObject(data) || typeof data.type !== 'string') return null;
  const limit = data.type === 'chatproxy:send' ? MAX_TEXT_CHARS : MAX_CONTROL_CHARS;
  if (sizeOf(data) > limit) return null;
  switch (data.type) {
    case 'chatproxy:open':
    case 'chatproxy:close':
      return { type: data.type };
    case 'chatproxy:send':
      return typeof data.text === 'string' ? { type: data.type, text: data.text } : null;
    case 'chatproxy:context':
      return isObject(data.context) ? { type: data.type, context: data.context } : null;
    case 'chatproxy:page':
      return typeof data.url === 'string' && typeof data.mobile === 'boolean'
        ? { type: data.type, url: data.url, mobile: data.mobile }
        : null;
    case 'chatproxy:restore':
      return typeof data.ok === 'boolean' && isStringMap(data.values)
        ? { type: data.type, ok: data.ok, values: data.values }
        : null;
    case 'chatproxy:consent':
      return typeof data.granted === 'boolean' ? { type: data.type, granted: data.granted } : null;
    default:
      return null;
  }
}

/** Returns the message when `data` is a well-formed iframe→loader message, else null. */
export function parseFrameMessage(data: unknown): FrameMessage | null {
  if (!isObject(data) || typeof data.type !== 'string') return null;
  const limit = data.type === 'chatproxy:message' ? MAX_TEXT_CHARS : MAX_CONTROL_CHARS;
  if (sizeOf(data) > limit) return null;
  switch (data.type) {
    case 'chatproxy:ready':
    case 'chatproxy:close':
      return { type: data.type };
    case 'chatproxy:store':
      return typeof data.key === 'string' &&
        STORE_KEY_PATTERN.test(data.key) &&
        (typeof data.value === 'string' || data.value === null)
        ? { type: data.type, key: data.key, value: data.value }
        : null;
    case 'chatproxy:unread':
      return typeof data.count === 'number' && Number.isInteger(data.count) && data.count >= 0
        ? { type: data.type, count: data.count }
        : null;
    case 'chatproxy:visitor':
      return typeof data.id === 'string' && /^[0-9a-f-]{36}$/.test(data.id) ? { type: data.type, id: data.id } : null;
    case 'chatproxy:message':
      return (data.role === 'user' || data.role === 'assistant') && typeof data.text === 'string'
        ? { type: data.type, role: data.role, text: data.text }
        : null;
    default:
      return null;
  }
}
