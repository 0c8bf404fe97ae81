// The chat's privacy parts (docs/privacy.md): the notice before the first message, the
// opt-in prompt, the header menu (download / delete my conversation) and the confirmation.

import type { ChatState } from '../state';
import type { ChatControls } from './App';

function PolicyLink({ s }: { s: ChatState }) {
  const url = s.config?.privacyPolicyUrl;
  if (!url) return null;
  return (
    <a className="cp-policy" href={url} target="_blank" rel="noopener noreferrer">
      {s.t('privacyPolicy')}
    </a>
  );
}

/** One line before the first message on notice and opt_in sites. */
export function PrivacyNotice({ s }: { s: ChatState }) {
  return (
    <p className="cp-privacy">
      {s.t('privacyNotice')} <PolicyLink s={s} />
    </p>
  );
}

/** opt_in: nothing is stored until the visitor accepts here (or the shop's banner does). */
export function ConsentPrompt({ s, controller }: { s: ChatState; controller: ChatControls }) {
  return (
    <div className="cp-consent" role="group" aria-label={s.t('privacyPolicy')}>
      <p>
        {s.t('consentAsk')} <PolicyLink s={s} />
      </p>
      <div className="cp-consent-actions">
        <button type="button" className="cp-button cp-consent-accept" onClick={() => controller.accept()}>
          {s.t('consentAccept')}
        </button>
        <button type="button" className="cp-button cp-button-quiet cp-consent-decline" onClick={() => controller.decline()}>
          {s.t('consentDecline')}
        </button>
      </div>
      {s.declined && <p className="cp-consent-declined">{s.t('consentDeclined')}</p>}
    </div>
  );
}

export function PrivacyMenu({ s, controller }: { s: ChatState; controller: ChatControls }) {
  if (!s.menu) return null;
  return (
    <div className="cp-menu" role="menu" aria-label={s.t('menu')}>
      <button type="button" role="menuitem" className="cp-menu-download" onClick={() => void controller.download()}>
        {s.t('download')}
      </button>
      <button type="button" role="menuitem" className="cp-menu-erase" onClick={() => controller.askErase()}>
        {s.t('erase')}
      </button>
    </div>
  );
}

export function EraseConfirm({ s, controller }: { s: ChatState; controller: ChatControls }) {
  if (!s.confirmErase) return null;
  return (
    <div className="cp-confirm" role="alertdialog" aria-label={s.t('erase')}>
      <p>{s.t('eraseConfirm')}</p>
      <div className="cp-consent-actions">
        <button type="button" className="cp-button cp-button-danger cp-erase-yes" onClick={() => void controller.erase()}>
          {s.t('eraseYes')}
        </button>
        <button type="button" className="cp-button cp-button-quiet" onClick={() => controller.cancelErase()}>
          {s.t('cancel')}
        </button>
      </div>
    </div>
  );
}
