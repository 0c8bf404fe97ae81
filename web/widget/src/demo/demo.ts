// Demo shop page script: shows the window.ChatProxy API (context + sendMessage) from a host page.

interface ChatProxyLike {
  setContext(context: Record<string, unknown>): void;
  sendMessage(text: string): void;
}

function chat(): ChatProxyLike | undefined {
  return (window as unknown as { ChatProxy?: ChatProxyLike }).ChatProxy;
}

function wire(): void {
  const ask = document.getElementById('ask-about-product');
  ask?.addEventListener('click', () => {
    const api = chat();
    if (!api) return;
    api.setContext({ product_sku: 'NH-THROW-SAGE', product_name: 'Nordhaven Linen Throw', price_eur: 89 });
    api.sendMessage('Tell me about the Nordhaven Linen Throw.');
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire);
else wire();
