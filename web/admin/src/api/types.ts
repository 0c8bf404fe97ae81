// The console API's shapes (docs/api.md, "Operator console API"). Hand-written until the
// types generated from docs/openapi.yaml (schema.gen.ts) land; the names follow the API's.

export type Role = 'owner' | 'admin' | 'viewer';

export interface Account {
  id: string;
  email: string;
  role: Role;
  sites: string[] | null;
  all_sites: boolean;
  totp_enabled: boolean;
  disabled: boolean;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionAnswer {
  csrf_token: string;
  account: Account;
}

export interface Me {
  account: Account;
  csrf_token?: string;
  via: 'cookie' | 'token';
}

export interface ApiToken {
  id: string;
  account_id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface NewToken extends ApiToken {
  token: string;
}

export interface TotpStart {
  secret: string;
  otpauth_uri: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor_id: string | null;
  actor_label: string;
  actor_ip: string;
  action: string;
  summary: string;
  site_id: string | null;
  target_type: string;
  target_id: string;
  result: 'ok' | 'denied' | 'error';
  diff: Record<string, unknown> | null;
  request_id: string;
}

export interface SiteSecret {
  algorithm: 'HS256' | 'ES256';
  kid: string;
  set_at?: string;
  public_key_pem?: string;
  previous_kid?: string;
  previous_until?: string;
}

export interface SiteWidget {
  title?: string;
  subtitle?: string;
  primary_color?: string;
  text_color?: string;
  avatar_url?: string;
  launcher_icon?: string;
  position?: 'left' | 'right';
  welcome?: string;
  placeholder?: string;
  suggestions?: string[];
  texts?: Record<string, string>;
  language?: string;
  allow_remote_images?: boolean;
  image_hosts?: string[];
}

export interface Site {
  id: string;
  name?: string;
  allowed_origins: string[];
  n8n_webhook_url?: string;
  payload_format?: 'chat-trigger' | 'webhook';
  signing?: { algorithm?: 'HS256' | 'ES256'; kid?: string; ttl?: string };
  history_depth?: number;
  client_ip?: 'raw' | 'hashed' | 'omit';
  limits?: Record<string, number>;
  abuse?: { min_first_message_delay_ms?: number; repeat_threshold?: number; repeat_window?: string; blocklist?: string[] };
  widget?: SiteWidget;
  consent?: 'none' | 'notice' | 'opt_in';
  identify?: 'none' | 'fingerprint';
  privacy_policy_url?: string;
  retention?: { messages?: number; events?: number; uploads?: number };
  legal_hold?: boolean;
  analytics?: { attribution_window?: string; events_per_minute?: number };
  managed_by?: 'file' | 'console';
  version?: number;
  disabled?: boolean;
  created_at?: string;
  updated_at?: string;
  secret?: SiteSecret;
}

/** POST /sites and rotate-secret: the site, and an HS256 secret shown this once. */
export interface SiteWithSecret {
  site: Site;
  secret?: string;
}

export interface Conversation {
  session_id: string;
  site_id: string;
  started_at: string;
  last_message_at: string | null;
  messages: number;
  status: string;
  visitor_id: string;
  returning: boolean;
  country: string;
  page_url: string;
  preview: string;
}

export interface TranscriptMessage {
  id?: string;
  role: 'user' | 'assistant';
  text: string;
  status: string;
  error_code?: string | null;
  first_token_ms?: number | null;
  total_ms?: number | null;
  page_url?: string | null;
  created_at: string;
}

/** GET /conversations/{session_id}: the conversation's facts and every message. */
export interface Transcript {
  conversation: Conversation & { user_agent?: string };
  messages: TranscriptMessage[];
}

export interface List<T> {
  items: T[];
  next_cursor?: string | null;
}

/** A conversations page searched by text or page URL says how much it read. */
export interface ConversationList extends List<Conversation> {
  scan?: { conversations: number; messages: number; stopped: boolean };
}
