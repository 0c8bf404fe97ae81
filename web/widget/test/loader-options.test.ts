import { describe, expect, it } from 'vitest';
import { pathHidden, readOptions } from '../src/loader/options';

/** The two fields readOptions reads from a <script> element. */
function script(src: string, dataset: Record<string, string>): HTMLScriptElement {
  return { src, dataset } as unknown as HTMLScriptElement;
}

describe('loader options', () => {
  it('takes the proxy origin from the script src and options from data-*', () => {
    const o = readOptions(
      script('https://chat.example.com:8443/embed.js?v=2', {
        siteId: 'shop', position: 'left', offsetX: '30', offsetY: '90', zIndex: '1000', open: '', hideOn: '/checkout, /cart/*, nope', lang: 'ru',
      }),
      undefined,
    );
    expect(o).toEqual({
      siteId: 'shop', origin: 'https://chat.example.com:8443', position: 'left', offsetX: 30, offsetY: 90, zIndex: 1000,
      open: true, preload: false, hideOn: ['/checkout', '/cart/*'], lang: 'ru',
    });
  });

  it('merges window.ChatProxyConfig, with data-* attributes winning', () => {
    const o = readOptions(script('https://chat.example.com/embed.js', { siteId: 'a', position: 'right' }), {
      siteId: 'b', position: 'left', hideOn: ['/x'], preload: true, offsetX: 5,
    });
    expect(o).toMatchObject({ siteId: 'a', position: 'right', hideOn: ['/x'], preload: true, offsetX: 5 });
  });

  it('falls back to defaults for bad values and refuses a missing site id', () => {
    const o = readOptions(script('https://c.example/embed.js', { siteId: 's', position: 'top', offsetX: '-4', zIndex: 'high' }), null);
    expect(o).toMatchObject({ position: '', offsetX: 20, offsetY: 20, zIndex: 2147483000, open: false });
    expect(readOptions(script('https://c.example/embed.js', {}), null)).toBeNull();
    expect(readOptions(script('not a url', { siteId: 's' }), null)).toBeNull();
  });

  it('hides on exact paths, their sub-paths, and * prefixes', () => {
    expect(pathHidden('/checkout', ['/checkout'])).toBe(true);
    expect(pathHidden('/checkout/step-2', ['/checkout'])).toBe(true);
    expect(pathHidden('/checkout/', ['/checkout/'])).toBe(true);
    expect(pathHidden('/checkout-help', ['/checkout'])).toBe(false);
    expect(pathHidden('/checkout-help', ['/checkout*'])).toBe(true);
    expect(pathHidden('/products/1', ['/checkout', '/cart'])).toBe(false);
    expect(pathHidden('/anything', [])).toBe(false);
  });
});
