/**
 * @module dataplane/router/ip
 * Allocation-free IPv4 / IPv6 parsing and CIDR containment for the source-ip condition.
 * IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, what a dual-stack Node socket reports
 * for an IPv4 peer) are normalised to IPv4 so they match IPv4 CIDRs.
 */

export interface ParsedIp {
  /** 0 = not an IP literal, 4 = IPv4 (incl. IPv4-mapped IPv6), 6 = IPv6. */
  kind: 0 | 4 | 6
  /** IPv4 address as an unsigned 32-bit number. */
  v4: number
  /** IPv6 address as four big-endian 32-bit words. */
  readonly v6: Uint32Array
}

export interface Cidr {
  readonly kind: 4 | 6
  readonly prefix: number
  /** IPv4: network address (masked). */
  readonly v4: number
  readonly v4Mask: number
  /** IPv6: network words (masked) and per-word masks. */
  readonly v6: Uint32Array
  readonly v6Mask: Uint32Array
}

function parseV4(s: string, from: number, to: number): number {
  let value = 0
  let parts = 0
  let i = from
  while (i <= to) {
    let octet = 0
    let digits = 0
    while (i < to) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) break
      octet = octet * 10 + (c - 48)
      digits++
      i++
    }
    if (digits === 0 || digits > 3 || octet > 255) return -1
    // No leading zeros ("01"): Node never reports them and they are ambiguous (octal).
    if (digits > 1 && s.charCodeAt(i - digits) === 48) return -1
    value = value * 256 + octet
    parts++
    if (i === to) break
    if (s.charCodeAt(i) !== 0x2e /* . */ || parts === 4) return -1
    i++
  }
  return parts === 4 ? value >>> 0 : -1
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const l = c | 0x20
  return l >= 97 && l <= 102 ? l - 87 : -1
}

/** Parses s[from, to) as IPv6 into 8 16-bit groups; false if invalid. */
function parseV6(s: string, from: number, to: number, groups: Uint16Array): boolean {
  groups.fill(0)
  let count = 0
  let gap = -1
  let i = from
  if (to - from < 2) return false
  if (s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false
    gap = 0
    i += 2
    if (i === to) return true
  }
  while (i < to) {
    if (count === 8) return false
    // Embedded dotted IPv4 in the last 32 bits.
    const dot = s.indexOf('.', i)
    const colon = s.indexOf(':', i)
    if (dot !== -1 && dot < to && (colon === -1 || colon >= to || dot < colon)) {
      if (count > 6) return false
      const v4 = parseV4(s, i, to)
      if (v4 < 0) return false
      groups[count++] = v4 >>> 16
      groups[count++] = v4 & 0xffff
      i = to
      break
    }
    let value = 0
    let digits = 0
    while (i < to) {
      const h = hex(s.charCodeAt(i))
      if (h < 0) break
      value = value * 16 + h
      digits++
      i++
    }
    if (digits === 0 || digits > 4) return false
    groups[count++] = value
    if (i === to) break
    if (s.charCodeAt(i) !== 0x3a) return false
    i++
    if (i < to && s.charCodeAt(i) === 0x3a) {
      if (gap !== -1) return false
      gap = count
      i++
      if (i === to) break
    } else if (i === to) {
      return false
    }
  }
  if (gap === -1) return count === 8
  if (count === 8) return false
  // Shift the groups after the gap to the end.
  const tail = count - gap
  for (let k = 0; k < tail; k++) {
    groups[7 - k] = groups[count - 1 - k]!
    groups[count - 1 - k] = 0
  }
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0
  return true
}

const scratchGroups = new Uint16Array(8)

/**
 * parseIp fills `out` from an address string; out.kind = 0 when it is not an IP.
 * A zone id (`fe80::1%eth0`) is ignored.
 */
export function parseIp(s: string, out: ParsedIp): ParsedIp {
  out.kind = 0
  let to = s.indexOf('%')
  if (to === -1) to = s.length
  if (s.indexOf(':') === -1) {
    const v4 = parseV4(s, 0, to)
    if (v4 >= 0) { out.kind = 4; out.v4 = v4 }
    return out
  }
  if (!parseV6(s, 0, to, scratchGroups)) return out
  const g = scratchGroups
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    out.kind = 4
    out.v4 = ((g[6]! << 16) | g[7]!) >>> 0
    return out
  }
  out.kind = 6
  for (let w = 0; w < 4; w++) out.v6[w] = ((g[2 * w]! << 16) | g[2 * w + 1]!) >>> 0
  return out
}

/**
 * parseCidr parses `a.b.c.d/n` or `x:y::/n`. A bare address is a host route (/32, /128).
 * Host bits set in the address are masked off (AWS validates the notation on input).
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  const ip = parseIp(addr, { kind: 0, v4: 0, v6: new Uint32Array(4) })
  if (ip.kind === 0) return undefined
  // An IPv4-mapped IPv6 CIDR is written in IPv6 notation: keep it IPv6-sized.
  const writtenAsV6 = addr.includes(':')
  const max = writtenAsV6 ? 128 : 32
  let prefix = max
  if (slash !== -1) {
    const p = text.slice(slash + 1)
    if (!/^\d{1,3}$/.test(p)) return undefined
    prefix = Number(p)
    if (prefix > max) return undefined
  }
  if (writtenAsV6 && ip.kind === 4) {
    // ::ffff:a.b.c.d/n with n >= 96 is an IPv4 range; shorter prefixes cover non-mapped space too.
    if (prefix < 96) {
      const v6 = new Uint32Array([0, 0, 0xffff, ip.v4])
      return v6Cidr(v6, prefix)
    }
    prefix -= 96
  }
  if (ip.kind === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
    return { kind: 4, prefix, v4: (ip.v4 & mask) >>> 0, v4Mask: mask, v6: new Uint32Array(4), v6Mask: new Uint32Array(4) }
  }
  return v6Cidr(ip.v6, prefix)
}

function v6Cidr(words: Uint32Array, prefix: number): Cidr {
  const mask = new Uint32Array(4)
  const net = new Uint32Array(4)
  for (let w = 0; w < 4; w++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * w))
    mask[w] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
    net[w] = (words[w]! & mask[w]!) >>> 0
  }
  return { kind: 6, prefix, v4: 0, v4Mask: 0, v6: net, v6Mask: mask }
}

/**
 * cidrContains: an IPv4 peer (incl. IPv4-mapped) matches IPv4 CIDRs only; an IPv6 peer
 * matches IPv6 CIDRs only (so `::/0` does not catch IPv4 clients — our reading of "You
 * can use both IPv4 and IPv6 addresses", UNVERIFIED).
 */
export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  if (ip.kind === 4) return cidr.kind === 4 && ((ip.v4 & cidr.v4Mask) >>> 0) === cidr.v4
  if (ip.kind === 6 && cidr.kind === 6) {
    for (let w = 0; w < 4; w++) if (((ip.v6[w]! & cidr.v6Mask[w]!) >>> 0) !== cidr.v6[w]) return false
    return true
  }
  return false
}
