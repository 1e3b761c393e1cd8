import type { Config } from './config.js';

const label = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const hostPattern = new RegExp(`^(?:\\[[0-9A-Fa-f:.]{2,45}\\]|${label}(?:\\.${label})*\\.?)(?::\\d{1,5})?$`);

/**
 * Whether a Host header is `hostname[:port]`, `IPv4[:port]` or `[IPv6][:port]`. Anything else is
 * refused before it can reach a header we write (the CSP) or a comparison.
 */
export function validHost(host: string): boolean {
  return host.length <= 261 && hostPattern.test(host);
}

/**
 * Which browser origins may use this server, and what our own pages may connect to. Same origin
 * means PUBLIC_URL when it is set (behind a proxy the Host header may be an internal name),
 * else the request's Host header once it passed `validHost`.
 */
export function createOriginPolicy({ allowedOrigins, publicUrl }: Pick<Config, 'allowedOrigins' | 'publicUrl'>) {
  function sameOrigin(origin: string, host: string | undefined): boolean {
    if (publicUrl !== undefined) return origin === publicUrl;
    if (host === undefined || !validHost(host)) return false;
    try {
      const page = new URL(origin);
      // Through URL both sides get the same case and default-port handling.
      return page.host === new URL(`${page.protocol}//${host}`).host;
    } catch {
      return false;
    }
  }

  return {
    /**
     * Browsers send Origin; non-browser clients (backends, tests, the bench) do not, and an
     * origin check cannot protect against them anyway. Same origin is always allowed.
     */
    allowed(origin: string | undefined, host: string | undefined): boolean {
      if (origin === undefined || allowedOrigins.includes('*') || allowedOrigins.includes(origin)) return true;
      return sameOrigin(origin, host);
    },
    /**
     * The WebSocket origins our pages' CSP names next to 'self' in connect-src (Safari wants them
     * explicit): PUBLIC_URL's, else the checked Host's under both schemes, since behind a
     * proxy we cannot tell which one the browser used; none for a Host we cannot use.
     */
    webSocketSources(host: string | undefined): string {
      if (publicUrl !== undefined) return publicUrl.replace(/^http/, 'ws');
      return host !== undefined && validHost(host) ? `ws://${host} wss://${host}` : '';
    },
  };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;
