// The Host a request names (RFC 9110 §7.2): a server must refuse a request whose Host is not a valid
// authority, since every absolute link it writes (SDMX-JSON's next page, the pages' commands) is built on it.

/** RFC 3986 reg-name characters (unreserved, sub-delims, percent-escapes), at least one. */
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/
const IP_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/
const PORT = /^[0-9]{1,5}$/

/** Whether `host` is `host[:port]` as RFC 3986 has it and as a URL parser takes it (port at most 65535). */
export function isValidHost(host: string): boolean {
  const bracket = host.startsWith('[') ? host.indexOf(']') + 1 : 0
  if (host.startsWith('[') && bracket === 0) return false
  const colon = host.indexOf(':', bracket)
  const name = colon < 0 ? host : host.slice(0, colon)
  const port = colon < 0 ? undefined : host.slice(colon + 1)
  if (!(bracket ? IP_LITERAL.test(name) : REG_NAME.test(name))) return false
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) return false
  try {
    new URL(`http://${host}/`)
    return true
  } catch {
    return false
  }
}

/** A host name or address with an optional port, nothing else: what may be printed into a shell command. */
export const PLAIN_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/
