import { createHash } from 'node:crypto';
import { consolePage } from './console-page';

describe('consolePage', () => {
  const { html, csp } = consolePage();
  const inline = (tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)![1];
  const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

  it('is one document with its style and script inline', () => {
    expect(html).not.toContain('/*STYLE*/');
    expect(html).not.toContain('/*SCRIPT*/');
    expect(inline('style')).toContain('--accent');
    expect(inline('script')).toContain("'/console/api/services'");
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="(?!data:)/); // nothing loaded from elsewhere
  });

  it('allows exactly its own inline script and style, and requests to the gateway only', () => {
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `script-src ${sha256(inline('script'))}`,
      `style-src ${sha256(inline('style'))}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
  });
});
