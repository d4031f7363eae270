import { createHash } from 'node:crypto';
import script from './static/console.js';
import style from './static/console.css';
import html from './static/index.html';

/**
 * The console page (docs/discovery.md) as one HTML document: the stylesheet and the script are
 * put inline at start-up, so the page needs no other URL and works at `/console` and `/console/`
 * (and under a proxy's path prefix). Its Content-Security-Policy allows exactly these two inline
 * parts (by hash) and requests to the gateway itself.
 */
export interface ConsolePage {
  html: string;
  csp: string;
}

export function consolePage(): ConsolePage {
  const page = html.replace('/*STYLE*/', () => style).replace('/*SCRIPT*/', () => script);
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  const csp = [
    "default-src 'none'",
    `script-src ${hash(script)}`,
    `style-src ${hash(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html: page, csp };
}
