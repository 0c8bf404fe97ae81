// The iframe chat app's entry (/widget/?site=SITE&host=ORIGIN&lang=LANG).

import { createRoot } from 'react-dom/client';
import { ChatController } from './controller';
import { App } from './ui/App';
import './styles.css';

const params = new URLSearchParams(window.location.search);
const controller = new ChatController({
  win: window,
  siteId: params.get('site') || 'demo',
  hostParam: params.get('host') || '',
  langParam: params.get('lang') || '',
});

const mount = document.getElementById('root');
if (mount) createRoot(mount).render(<App controller={controller} />);
void controller.init();
