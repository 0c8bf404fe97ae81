// The signed-in operator, shared by every page: loaded from GET /me at start, set by setup
// and login, cleared by logout or when any call answers 401.

import { createContext, useContext } from 'react';
import type { Account } from './api/types';

export interface Session {
  account: Account;
  via: 'cookie' | 'token';
}

export interface SessionApi {
  session: Session;
  signedIn: (account: Account, csrf: string) => void;
  signOut: () => Promise<void>;
  refresh: () => void;
}

export const SessionContext = createContext<SessionApi | null>(null);

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** What the role allows, mirroring docs/console.md "Roles and scope" (the server decides). */
export function can(account: Account) {
  const owner = account.role === 'owner';
  const admin = account.role === 'admin';
  const inScope = (site: string) => owner || account.all_sites || (account.sites ?? []).includes(site);
  return {
    owner,
    createSite: owner || (admin && account.all_sites),
    editSite: (site: string) => (owner || admin) && inScope(site),
    deleteSite: owner,
    readAudit: owner || admin,
    manageAccounts: owner,
    deleteConversation: (site: string) => (owner || admin) && inScope(site),
    exportConversations: owner || admin,
  };
}
