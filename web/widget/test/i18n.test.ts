import { describe, expect, it } from 'vitest';
import { makeTranslator, pickLanguage } from '../src/app/i18n';

describe('pickLanguage', () => {
  it('follows the browser when nothing else is set', () => {
    expect(pickLanguage({ browser: ['ru-RU', 'en'] })).toBe('ru');
    expect(pickLanguage({ browser: ['en-GB'] })).toBe('en');
  });

  it('takes the first supported browser language', () => {
    expect(pickLanguage({ browser: ['de-DE', 'fr', 'ru'] })).toBe('ru');
  });

  it('falls back to English for unsupported or missing languages', () => {
    expect(pickLanguage({ browser: ['de-DE', 'ja'] })).toBe('en');
    expect(pickLanguage({ browser: [] })).toBe('en');
  });

  it('lets the site language win over the browser, unless it is "auto"', () => {
    expect(pickLanguage({ site: 'ru', browser: ['en-US'] })).toBe('ru');
    expect(pickLanguage({ site: 'auto', browser: ['ru'] })).toBe('ru');
    expect(pickLanguage({ site: 'xx', browser: ['ru'] })).toBe('ru');
  });

  it("lets the page's data-lang win over everything", () => {
    expect(pickLanguage({ override: 'en', site: 'ru', browser: ['ru'] })).toBe('en');
    expect(pickLanguage({ override: 'RU_ru', site: 'en', browser: ['en'] })).toBe('ru');
    expect(pickLanguage({ override: 'zz', site: 'ru', browser: ['en'] })).toBe('ru');
  });
});

describe('makeTranslator', () => {
  it('has every English key in Russian too, translated', () => {
    const en = makeTranslator('en');
    const ru = makeTranslator('ru');
    expect(ru('send')).toBe('Отправить');
    expect(en('send')).toBe('Send');
    expect(ru('notSaved')).not.toBe(en('notSaved'));
  });

  it('applies site overrides, language-specific ones first', () => {
    const t = makeTranslator('ru', { welcome: 'Hello!', 'ru.welcome': 'Привет!', placeholder: 'Ask…', send: '' });
    expect(t('welcome')).toBe('Привет!');
    expect(t('placeholder')).toBe('Ask…');
    expect(t('send')).toBe('Отправить'); // empty override ignored
    expect(makeTranslator('en', { welcome: 'Hello!', 'ru.welcome': 'Привет!' })('welcome')).toBe('Hello!');
  });

  it('fills placeholders', () => {
    expect(makeTranslator('en')('rateLimited', { seconds: 12 })).toBe('Too many messages. Please wait 12 s.');
    expect(makeTranslator('ru')('tooLong', { max: 4000 })).toContain('4000');
  });
});
