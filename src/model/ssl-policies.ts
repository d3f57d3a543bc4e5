/**
 * @module model/ssl-policies
 * The predefined ALB security policies (DescribeSSLPolicies, spec §5.1) and the Node.js TLS
 * options each one means for a listener.
 *
 * Source: "Security policies for your Application Load Balancer"
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html),
 * tables "Protocols by policy" and "Ciphers by policy" for the TLS, FIPS and FS families,
 * plus the older create-https-listener page for ELBSecurityPolicy-TLS-1-0-2015-04 and -2015-05.
 *
 * Priority order: the service model's DescribeSSLPolicies example (real API output) lists
 * `ECDHE-RSA-AES256-SHA` before `ECDHE-ECDSA-AES256-SHA`; the FIPS and FS tables agree, the
 * TLS table prints the pair the other way round. We follow the API output everywhere.
 *
 * Protocol names are the API's (`TLSv1`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3`: the model example and
 * the docs' `contains(SslProtocols,'TLSv1.3')` query), not the docs tables' `Protocol-TLSv1`.
 *
 * The post-quantum `-PQ-2025-09` policies add hybrid ML-KEM key exchange groups to their
 * classical counterpart; the docs describe them as the same protocols and ciphers otherwise
 * (UNVERIFIED per cipher: their tables were not available to us).
 */

export type SslProtocol = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'

export interface SslPolicy {
  readonly name: string
  /** Lowest first, as the API lists them. */
  readonly protocols: readonly SslProtocol[]
  /** OpenSSL names (TLS 1.3 suites by their IANA names, as AWS lists them), highest priority first. */
  readonly ciphers: readonly string[]
  readonly supportedLoadBalancerTypes: readonly ('application' | 'network')[]
}

// ---------------------------------------------------------------- building blocks

const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const
/** FIPS policies leave out ChaCha20-Poly1305 (not a FIPS-approved cipher). */
const TLS13_FIPS_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'] as const

/**
 * Every TLS ≤ 1.2 cipher ALB offers, in its priority order (= ELBSecurityPolicy-2016-08).
 * Every narrower policy is this list filtered, which keeps the relative order AWS uses.
 */
const ALL_TLS12 = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES128-SHA256',
  'AES128-SHA',
  'AES256-GCM-SHA384',
  'AES256-SHA256',
  'AES256-SHA',
] as const

/** CBC ciphers with a SHA-1 MAC (`…-SHA`, not `…-SHA256`/`…-SHA384`). */
const sha1Mac = (c: string): boolean => c.endsWith('-SHA')
/** Forward secrecy: ephemeral ECDH key exchange. */
const ecdhe = (c: string): boolean => c.startsWith('ECDHE-')
const gcm = (c: string): boolean => c.includes('-GCM-')

const NO_SHA1 = ALL_TLS12.filter((c) => !sha1Mac(c))
const ECDHE_ALL = ALL_TLS12.filter(ecdhe)
const ECDHE_NO_SHA1 = ALL_TLS12.filter((c) => ecdhe(c) && !sha1Mac(c))
const ECDHE_GCM = ALL_TLS12.filter((c) => ecdhe(c) && gcm(c))

const TLS10_UP: readonly SslProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2']
const TLS11_UP: readonly SslProtocol[] = ['TLSv1.1', 'TLSv1.2']
const TLS12_ONLY: readonly SslProtocol[] = ['TLSv1.2']
const TLS13_ONLY: readonly SslProtocol[] = ['TLSv1.3']
const TLS12_13: readonly SslProtocol[] = ['TLSv1.2', 'TLSv1.3']
const TLS11_13: readonly SslProtocol[] = ['TLSv1.1', 'TLSv1.2', 'TLSv1.3']
const TLS10_13: readonly SslProtocol[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']

function policy(name: string, protocols: readonly SslProtocol[], ciphers: readonly string[]): SslPolicy {
  return { name, protocols, ciphers, supportedLoadBalancerTypes: ['application', 'network'] }
}

/**
 * The TLS 1.3 families: one shape (protocols + TLS ≤ 1.2 ciphers) per suffix, published as the
 * 2021-06 classic policy, the 2023-04 FIPS policy, and their 2025-09 post-quantum variants.
 * `pq`/`fipsPq` say which PQ variants AWS publishes for that shape (e.g. no TLS13-1-1-PQ).
 */
const TLS13_SHAPES = [
  { suffix: '1-3', protocols: TLS13_ONLY, tls12: [], classic: true, pq: true, fipsPq: true },
  { suffix: '1-2', protocols: TLS12_13, tls12: ECDHE_NO_SHA1, classic: true, pq: true, fipsPq: true },
  { suffix: '1-2-Res', protocols: TLS12_13, tls12: ECDHE_GCM, classic: true, pq: true, fipsPq: true },
  { suffix: '1-2-Ext0', protocols: TLS12_13, tls12: ECDHE_ALL, classic: false, pq: false, fipsPq: true },
  { suffix: '1-2-Ext1', protocols: TLS12_13, tls12: NO_SHA1, classic: true, pq: true, fipsPq: true },
  { suffix: '1-2-Ext2', protocols: TLS12_13, tls12: ALL_TLS12, classic: true, pq: true, fipsPq: true },
  { suffix: '1-1', protocols: TLS11_13, tls12: ALL_TLS12, classic: true, pq: false, fipsPq: false },
  { suffix: '1-0', protocols: TLS10_13, tls12: ALL_TLS12, classic: true, pq: true, fipsPq: true },
] as const

function tls13Family(): SslPolicy[] {
  const out: SslPolicy[] = []
  for (const s of TLS13_SHAPES) {
    const classic = [...TLS13_SUITES, ...s.tls12]
    const fips = [...TLS13_FIPS_SUITES, ...s.tls12]
    if (s.classic) out.push(policy(`ELBSecurityPolicy-TLS13-${s.suffix}-2021-06`, s.protocols, classic))
    if (s.pq) out.push(policy(`ELBSecurityPolicy-TLS13-${s.suffix}-PQ-2025-09`, s.protocols, classic))
    out.push(policy(`ELBSecurityPolicy-TLS13-${s.suffix}-FIPS-2023-04`, s.protocols, fips))
    if (s.fipsPq) out.push(policy(`ELBSecurityPolicy-TLS13-${s.suffix}-FIPS-PQ-2025-09`, s.protocols, fips))
  }
  return out
}

/** Every predefined ALB policy: TLS 1.3 families (classic, PQ, FIPS, FIPS-PQ), then FS, then the TLS-1-x and legacy ones. */
export const SSL_POLICIES: readonly SslPolicy[] = [
  ...tls13Family(),
  policy('ELBSecurityPolicy-FS-1-2-Res-2020-10', TLS12_ONLY, ECDHE_GCM),
  policy('ELBSecurityPolicy-FS-1-2-Res-2019-08', TLS12_ONLY, ECDHE_NO_SHA1),
  policy('ELBSecurityPolicy-FS-1-2-2019-08', TLS12_ONLY, ECDHE_ALL),
  policy('ELBSecurityPolicy-FS-1-1-2019-08', TLS11_UP, ECDHE_ALL),
  policy('ELBSecurityPolicy-FS-2018-06', TLS10_UP, ECDHE_ALL),
  policy('ELBSecurityPolicy-TLS-1-2-Ext-2018-06', TLS12_ONLY, ALL_TLS12),
  policy('ELBSecurityPolicy-TLS-1-2-2017-01', TLS12_ONLY, NO_SHA1),
  policy('ELBSecurityPolicy-TLS-1-1-2017-01', TLS11_UP, ALL_TLS12),
  // Legacy: the only policy with 3DES, "for legacy clients that require DES-CBC3-SHA".
  policy('ELBSecurityPolicy-TLS-1-0-2015-04', TLS10_UP, [...ALL_TLS12, 'DES-CBC3-SHA']),
  policy('ELBSecurityPolicy-2016-08', TLS10_UP, ALL_TLS12),
  // "ELBSecurityPolicy-2015-05 (identical to ELBSecurityPolicy-2016-08)".
  policy('ELBSecurityPolicy-2015-05', TLS10_UP, ALL_TLS12),
]

/** The policy HTTPS listeners get when created through the API/CLI without SslPolicy (spec §5.1). */
export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-2016-08'

const BY_NAME = new Map(SSL_POLICIES.map((p) => [p.name, p]))

export function sslPolicy(name: string): SslPolicy | undefined {
  return BY_NAME.get(name)
}

// ---------------------------------------------------------------- Node.js TLS options

export interface SslPolicyTlsOptions {
  readonly minVersion: SslProtocol
  readonly maxVersion: SslProtocol
  /**
   * The OpenSSL cipher string for `tls.createSecureContext({ ciphers })`: the TLS 1.3 suites
   * first, then the TLS ≤ 1.2 ciphers, in priority order. Node sends `TLS_*` names to
   * SSL_CTX_set_ciphersuites and the rest to SSL_CTX_set_cipher_list, so this one string
   * restricts both (Node has no separate option for TLS 1.3 suites).
   */
  readonly ciphers: string
  /** Just the TLS 1.3 suites (also inside `ciphers`); empty for policies without TLS 1.3. */
  readonly cipherSuites: string
  /** ALBs pick the first server-preferred cipher the client offers (docs: "first cipher on the server's list"). */
  readonly honorCipherOrder: true
}

/**
 * tlsOptionsFor returns the Node.js TLS options that make a listener negotiate exactly what the
 * named policy allows, or undefined for an unknown name.
 *
 * OpenSSL 3 refuses TLS 1.0/1.1 handshakes at its default security level 1 (their PRF uses
 * SHA-1/MD5), so policies that allow them get `@SECLEVEL=0` appended: AWS still negotiates
 * TLS 1.0 under ELBSecurityPolicy-2016-08, and so must we.
 */
export function tlsOptionsFor(policyName: string): SslPolicyTlsOptions | undefined {
  const p = BY_NAME.get(policyName)
  if (p === undefined) return undefined
  const suites = p.ciphers.filter((c) => c.startsWith('TLS_'))
  const legacy = p.ciphers.filter((c) => !c.startsWith('TLS_'))
  const minVersion = p.protocols[0]!
  const maxVersion = p.protocols[p.protocols.length - 1]!
  const below12 = minVersion === 'TLSv1' || minVersion === 'TLSv1.1'
  const parts = [...suites, ...legacy]
  if (below12) parts.push('@SECLEVEL=0')
  return { minVersion, maxVersion, ciphers: parts.join(':'), cipherSuites: suites.join(':'), honorCipherOrder: true }
}
