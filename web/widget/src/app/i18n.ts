// Widget texts in English and Russian. The language comes from, in order: the page's
// data-lang (the iframe's ?lang=), the site's configured language (unless "auto"), the
// browser's preferred languages, then English. Every text can be overridden per site through
// widget.texts: "<lang>.<key>" beats "<key>", which beats the built-in text.

export const LANGUAGES = ['en', 'ru'] as const;
export type Lang = (typeof LANGUAGES)[number];

const en = {
  title: 'Chat',
  subtitle: 'We usually answer right away',
  welcome: 'Hi! How can I help you today?',
  placeholder: 'Type your message…',
  inputLabel: 'Message',
  send: 'Send',
  close: 'Close chat',
  newConversation: 'New conversation',
  messagesLabel: 'Conversation',
  suggestionsLabel: 'Suggested questions',
  you: 'You',
  assistant: 'Assistant',
  typing: 'The assistant is typing…',
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Messages will be sent when you are back online.',
  queued: 'Waiting to send…',
  sending: 'Sending…',
  failed: 'Not sent.',
  retry: 'Retry',
  interrupted: 'The answer was interrupted.',
  answerFailed: 'The assistant could not answer.',
  notSaved: 'This chat will not be saved on this device.',
  rateLimited: 'Too many messages. Please wait {seconds} s.',
  tooLong: 'Your message is too long ({max} characters at most).',
  sessionError: 'The chat could not start. Please try again later.',
  loadError: 'The chat is not available right now.',
  announce: 'New answer: {text}',
  rateUp: 'Helpful answer',
  rateDown: 'Not helpful',
  rated: 'Thanks for your feedback.',
  privacyNotice: 'Your messages are stored to answer you.',
  privacyPolicy: 'Privacy policy',
  consentAsk: 'To chat, we need to store your messages.',
  consentAccept: 'Accept and chat',
  consentDecline: 'No, thanks',
  consentDeclined: 'The chat stays off. Nothing was stored.',
  menu: 'More options',
  download: 'Download my conversation',
  erase: 'Delete my conversation',
  eraseConfirm: 'Delete this conversation from our servers? This cannot be undone.',
  eraseYes: 'Delete',
  cancel: 'Cancel',
  erased: 'Your conversation was deleted.',
  privacyFailed: 'That did not work. Please try again later.',
} satisfies Record<string, string>;

export type TextKey = keyof typeof en;
export type Dictionary = Record<TextKey, string>;

const ru: Dictionary = {
  title: 'Чат',
  subtitle: 'Обычно отвечаем сразу',
  welcome: 'Здравствуйте! Чем могу помочь?',
  placeholder: 'Введите сообщение…',
  inputLabel: 'Сообщение',
  send: 'Отправить',
  close: 'Закрыть чат',
  newConversation: 'Новый разговор',
  messagesLabel: 'Переписка',
  suggestionsLabel: 'Предлагаемые вопросы',
  you: 'Вы',
  assistant: 'Ассистент',
  typing: 'Ассистент печатает…',
  connecting: 'Подключение…',
  reconnecting: 'Связь потеряна. Переподключаемся…',
  offline: 'Нет сети. Сообщения отправятся, когда связь вернётся.',
  queued: 'Ожидает отправки…',
  sending: 'Отправка…',
  failed: 'Не отправлено.',
  retry: 'Повторить',
  interrupted: 'Ответ был прерван.',
  answerFailed: 'Ассистент не смог ответить.',
  notSaved: 'Этот чат не сохранится на этом устройстве.',
  rateLimited: 'Слишком много сообщений. Подождите {seconds} с.',
  tooLong: 'Сообщение слишком длинное (не больше {max} символов).',
  sessionError: 'Не удалось начать чат. Попробуйте позже.',
  loadError: 'Чат сейчас недоступен.',
  announce: 'Новый ответ: {text}',
  rateUp: 'Полезный ответ',
  rateDown: 'Бесполезный ответ',
  rated: 'Спасибо за отзыв.',
  privacyNotice: 'Ваши сообщения сохраняются, чтобы мы могли ответить.',
  privacyPolicy: 'Политика конфиденциальности',
  consentAsk: 'Чтобы начать чат, нам нужно сохранять ваши сообщения.',
  consentAccept: 'Согласиться и начать',
  consentDecline: 'Нет, спасибо',
  consentDeclined: 'Чат выключен. Ничего не сохранено.',
  menu: 'Ещё',
  download: 'Скачать мой разговор',
  erase: 'Удалить мой разговор',
  eraseConfirm: 'Удалить этот разговор с наших серверов? Это нельзя отменить.',
  eraseYes: 'Удалить',
  cancel: 'Отмена',
  erased: 'Ваш разговор удалён.',
  privacyFailed: 'Не получилось. Попробуйте позже.',
};

const DICTIONARIES: Record<Lang, Dictionary> = { en, ru };

function supported(tag: string | null | undefined): Lang | null {
  if (!tag) return null;
  const base = tag.trim().toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(base ?? '') ? (base as Lang) : null;
}

export interface LanguageInputs {
  /** The page's explicit choice (data-lang → ?lang=). */
  override?: string | null;
  /** The site's configured language: "auto", "en", "ru", … */
  site?: string | null;
  /** navigator.languages (or [navigator.language]). */
  browser: readonly string[];
}

export function pickLanguage({ override, site, browser }: LanguageInputs): Lang {
  const explicit = supported(override) ?? (site && site !== 'auto' ? supported(site) : null);
  if (explicit) return explicit;
  for (const tag of browser) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return 'en';
}

export type Translate = (key: TextKey, vars?: Record<string, string | number>) => string;

/** Builds the text lookup for one language with the site's overrides applied. */
export function makeTranslator(lang: Lang, overrides: Record<string, string> = {}): Translate {
  const dict = DICTIONARIES[lang];
  return (key, vars) => {
    const own = overrides[`${lang}.${key}`] ?? overrides[key];
    let text = typeof own === 'string' && own !== '' ? own : dict[key];
    if (vars) {
      for (const name of Object.keys(vars)) text = text.split(`{${name}}`).join(String(vars[name]));
    }
    return text;
  };
}
