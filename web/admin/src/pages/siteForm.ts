// The site editor's fields, by section (docs/api.md, "site"; docs/console.md, "Sites").

import type { FieldDef } from '../ui/fields';

export interface Section {
  title: string;
  fields: FieldDef[];
  collapsed?: boolean;
}

const LIMIT = '-1 = no limit; empty = the default';

export const idField: FieldDef = {
  path: 'id', label: 'Site id', kind: 'text', required: true,
  hint: 'Lower-case letters, digits and dashes; used in the snippet. It cannot change later.',
};

export const algorithmField: FieldDef = {
  path: 'signing.algorithm', label: 'n8n signing', kind: 'select',
  options: [['HS256', 'HS256: a shared secret (n8n JWT Auth, Passphrase)'], ['ES256', 'ES256: a key pair (n8n JWT Auth, PEM Key)']],
};

export const sections: Section[] = [
  {
    title: 'General',
    fields: [
      { path: 'name', label: 'Name', kind: 'text' },
      { path: 'allowed_origins', label: 'Shop origins', kind: 'lines', required: true, hint: 'One per line, e.g. https://shop.example.com or https://*.example.com.' },
      { path: 'n8n_webhook_url', label: 'n8n webhook URL', kind: 'url', required: true, hint: 'https only; private and loopback addresses are refused.' },
      { path: 'payload_format', label: 'n8n node', kind: 'select', options: [['', 'Default'], ['chat-trigger', 'Chat Trigger'], ['webhook', 'Webhook']] },
      { path: 'signing.ttl', label: 'Token lifetime', kind: 'text', placeholder: '30s' },
      { path: 'history_depth', label: 'History sent to n8n (messages)', kind: 'number' },
      { path: 'client_ip', label: "Visitor's IP sent to n8n", kind: 'select', options: [['', 'Default'], ['raw', 'As is'], ['hashed', 'Hashed'], ['omit', 'Not sent']] },
    ],
  },
  {
    title: 'Look',
    fields: [
      { path: 'widget.title', label: 'Title', kind: 'text' },
      { path: 'widget.subtitle', label: 'Subtitle', kind: 'text' },
      { path: 'widget.primary_color', label: 'Main colour', kind: 'color', placeholder: '#4f46e5' },
      { path: 'widget.text_color', label: 'Text on main colour', kind: 'color', placeholder: '#ffffff' },
      { path: 'widget.avatar_url', label: 'Avatar image URL', kind: 'url', hint: 'https only.' },
      { path: 'widget.launcher_icon', label: 'Launcher icon', kind: 'text', placeholder: 'chat' },
      { path: 'widget.position', label: 'Position', kind: 'select', options: [['', 'Default (right)'], ['right', 'Right'], ['left', 'Left']] },
      { path: 'widget.language', label: 'Language', kind: 'select', options: [['', 'Default (auto)'], ['auto', "The visitor's browser"], ['en', 'English'], ['ru', 'Russian']] },
    ],
  },
  {
    title: 'Texts',
    fields: [
      { path: 'widget.welcome', label: 'Welcome message', kind: 'text' },
      { path: 'widget.placeholder', label: 'Input placeholder', kind: 'text' },
      { path: 'widget.suggestions', label: 'Suggested questions', kind: 'lines', hint: 'One per line, up to 6 are shown.' },
      { path: 'widget.texts', label: 'Other texts', kind: 'pairs', hint: 'key=text per line, e.g. send=Go or ru.send=Отправить.' },
      { path: 'widget.allow_remote_images', label: 'Show images in answers', kind: 'check' },
      { path: 'widget.image_hosts', label: 'Image hosts', kind: 'lines', hint: 'One host per line (cdn.example.com or *.example.com).' },
    ],
  },
  {
    title: 'Privacy',
    collapsed: true,
    fields: [
      { path: 'consent', label: 'Consent', kind: 'select', options: [['', 'Default (notice)'], ['none', 'None: the shop covers the chat in its policy'], ['notice', 'Notice with the policy link'], ['opt_in', 'Opt-in: nothing is stored before the visitor accepts']] },
      { path: 'privacy_policy_url', label: 'Privacy policy URL', kind: 'url' },
      { path: 'identify', label: 'Recognise returning visitors', kind: 'select', options: [['', 'Default (visitor id only)'], ['none', 'Visitor id only'], ['fingerprint', 'Also a keyed hash of coarse browser signals']] },
      { path: 'retention.messages', label: 'Keep messages (days)', kind: 'number', hint: '-1 = for ever; empty = the default (365)' },
      { path: 'retention.events', label: 'Keep analytics events (days)', kind: 'number', hint: '-1 = for ever; empty = the default (90)' },
      { path: 'retention.uploads', label: 'Keep uploads (days)', kind: 'number', hint: '-1 = for ever; empty = the default (30)' },
      { path: 'legal_hold', label: 'Legal hold: purge nothing', kind: 'check' },
      { path: 'analytics.attribution_window', label: 'Purchase attribution window', kind: 'text' },
      { path: 'analytics.events_per_minute', label: 'Analytics events per IP per minute', kind: 'number', hint: LIMIT },
    ],
  },
  {
    title: 'Limits',
    collapsed: true,
    fields: [
      { path: 'limits.max_message_length', label: 'Longest message (characters)', kind: 'number' },
      { path: 'limits.session_per_minute', label: 'Messages per session per minute', kind: 'number', hint: LIMIT },
      { path: 'limits.ip_per_minute', label: 'Messages per IP per minute', kind: 'number', hint: LIMIT },
      { path: 'limits.site_per_minute', label: 'Messages per minute (whole site)', kind: 'number', hint: LIMIT },
      { path: 'limits.concurrent_streams_per_session', label: 'Answers at once per session', kind: 'number', hint: LIMIT },
      { path: 'limits.concurrent_streams_per_ip', label: 'Answers at once per IP', kind: 'number', hint: LIMIT },
      { path: 'limits.sessions_per_ip_per_hour', label: 'New sessions per IP per hour', kind: 'number', hint: LIMIT },
      { path: 'limits.daily_messages', label: 'Messages per day (whole site)', kind: 'number', hint: LIMIT },
    ],
  },
  {
    title: 'Abuse rules',
    collapsed: true,
    fields: [
      { path: 'abuse.min_first_message_delay_ms', label: 'Shortest time before a first message (ms)', kind: 'number', hint: 'Faster first messages are taken for bots; -1 turns the rule off.' },
      { path: 'abuse.repeat_threshold', label: 'Same message repeated (times)', kind: 'number' },
      { path: 'abuse.repeat_window', label: 'Within', kind: 'text', placeholder: '10m' },
      { path: 'abuse.blocklist', label: 'Blocked words', kind: 'lines', hint: 'One per line.' },
    ],
  },
];

/** Drops empty strings, empty lists and empty objects, so a new site gets the server's defaults. */
export function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v;
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) {
      const p = prune(val);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === '' ? undefined : v;
}
