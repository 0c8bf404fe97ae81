// The message box: Enter sends, Shift+Enter makes a new line, grows with its text, and uses a
// 16 px font so iOS does not zoom the page when it gets focus.

import { forwardRef, useCallback, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { Translate } from '../i18n';
import { SendIcon } from './icons';

interface Props {
  t: Translate;
  maxLength: number;
  disabled: boolean;
  onSend: (text: string) => void;
}

export const Composer = forwardRef<HTMLTextAreaElement, Props>(function Composer({ t, maxLength, disabled, onSend }, ref) {
  const [text, setText] = useState('');
  const submit = useCallback(
    (e?: FormEvent) => {
      e?.preventDefault();
      if (!text.trim() || disabled) return;
      onSend(text);
      setText('');
    },
    [text, disabled, onSend],
  );
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };
  const rows = Math.min(5, Math.max(1, text.split('\n').length));
  return (
    <form className="cp-composer" onSubmit={submit}>
      <label htmlFor="cp-input" className="cp-sr">
        {t('inputLabel')}
      </label>
      <textarea
        id="cp-input"
        ref={ref}
        rows={rows}
        value={text}
        maxLength={maxLength}
        placeholder={t('placeholder')}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        enterKeyHint="send"
        autoComplete="off"
      />
      <button type="submit" className="cp-send" aria-label={t('send')} title={t('send')} disabled={disabled || !text.trim()}>
        <SendIcon />
      </button>
    </form>
  );
});
