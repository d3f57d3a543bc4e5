/**
 * @module model/attributes
 * Load balancer, target group and listener attributes: keys, AWS defaults, value rules
 * (spec §3.3, §5.2, §6.2). Records store only what users changed; `effective*` merges in the defaults.
 */

export interface AttributeSpec {
  readonly key: string
  readonly defaultValue: string
  /** Returns an error message for an invalid value, undefined when valid. */
  readonly check: (value: string) => string | undefined
}

const BOOL = ['true', 'false'] as const

function bool(key: string, defaultValue: 'true' | 'false'): AttributeSpec {
  return { key, defaultValue, check: (v) => (BOOL.includes(v as 'true') ? undefined : `'${key}' value '${v}' must be one of '${BOOL.join(', ')}'`) }
}

function range(key: string, defaultValue: string, min: number, max: number, extra: readonly string[] = []): AttributeSpec {
  return {
    key, defaultValue,
    check: (v) => {
      if (extra.includes(v)) return undefined
      if (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max) return undefined
      return `'${key}' value '${v}' must be between '${min}-${max}' inclusive`
    },
  }
}

function oneOf(key: string, defaultValue: string, values: readonly string[]): AttributeSpec {
  return { key, defaultValue, check: (v) => (values.includes(v) ? undefined : `'${key}' value '${v}' must be one of '${values.join(', ')}'`) }
}

function text(key: string, defaultValue: string, check: (v: string) => string | undefined = () => undefined): AttributeSpec {
  return { key, defaultValue, check }
}

const S3_PREFIX_CHECK = (v: string): string | undefined => (v.includes('AWSLogs') ? "The prefix must not contain 'AWSLogs'" : undefined)

/** ALB attributes in the order DescribeLoadBalancerAttributes returns them (spec §6.2). */
export function loadBalancerAttributeSpecs(scheme: string): readonly AttributeSpec[] {
  return [
    bool('access_logs.s3.enabled', 'false'),
    text('access_logs.s3.bucket', ''),
    text('access_logs.s3.prefix', '', S3_PREFIX_CHECK),
    range('idle_timeout.timeout_seconds', '60', 1, 4000),
    bool('deletion_protection.enabled', 'false'),
    bool('routing.http2.enabled', 'true'),
    bool('routing.http.drop_invalid_header_fields.enabled', 'false'),
    bool('routing.http.xff_client_port.enabled', 'false'),
    bool('routing.http.preserve_host_header.enabled', 'false'),
    oneOf('routing.http.xff_header_processing.mode', 'append', ['append', 'preserve', 'remove']),
    // Always on for ALB and cannot be changed (spec §6.2).
    oneOf('load_balancing.cross_zone.enabled', 'true', ['true']),
    oneOf('routing.http.desync_mitigation_mode', 'defensive', ['monitor', 'defensive', 'strictest']),
    range('client_keep_alive.seconds', '3600', 60, 604800),
    bool('waf.fail_open.enabled', 'false'),
    bool('routing.http.x_amzn_tls_version_and_cipher_suite.enabled', 'false'),
    bool('zonal_shift.config.enabled', 'false'),
    bool('connection_logs.s3.enabled', 'false'),
    text('connection_logs.s3.bucket', ''),
    text('connection_logs.s3.prefix', '', S3_PREFIX_CHECK),
    bool('health_check_logs.s3.enabled', 'false'),
    text('health_check_logs.s3.bucket', ''),
    text('health_check_logs.s3.prefix', '', S3_PREFIX_CHECK),
    bool('ipv6.deny_all_igw_traffic', scheme === 'internal' ? 'true' : 'false'),
  ]
}

const RESERVED_COOKIE_PREFIXES = ['AWSALB', 'AWSALBAPP', 'AWSALBTG']

/** ALB target group attributes (spec §3.3); lambda groups have their own, shorter set. */
export function targetGroupAttributeSpecs(targetType: string): readonly AttributeSpec[] {
  if (targetType === 'lambda') {
    return [
      bool('stickiness.enabled', 'false'),
      oneOf('stickiness.type', 'lb_cookie', ['lb_cookie', 'app_cookie']),
      range('stickiness.lb_cookie.duration_seconds', '86400', 1, 604800),
      text('stickiness.app_cookie.cookie_name', ''),
      range('stickiness.app_cookie.duration_seconds', '86400', 1, 604800),
      bool('lambda.multi_value_headers.enabled', 'false'),
    ]
  }
  return [
    range('deregistration_delay.timeout_seconds', '300', 0, 3600),
    bool('stickiness.enabled', 'false'),
    oneOf('stickiness.type', 'lb_cookie', ['lb_cookie', 'app_cookie']),
    range('stickiness.lb_cookie.duration_seconds', '86400', 1, 604800),
    text('stickiness.app_cookie.cookie_name', '', (v) =>
      RESERVED_COOKIE_PREFIXES.some((p) => v.startsWith(p)) ? `App cookie name '${v}' cannot start with reserved prefixes ${RESERVED_COOKIE_PREFIXES.join(', ')}` : undefined),
    range('stickiness.app_cookie.duration_seconds', '86400', 1, 604800),
    oneOf('load_balancing.algorithm.type', 'round_robin', ['round_robin', 'least_outstanding_requests', 'weighted_random']),
    oneOf('load_balancing.algorithm.anomaly_mitigation', 'off', ['on', 'off']),
    range('slow_start.duration_seconds', '0', 30, 900, ['0']),
    oneOf('load_balancing.cross_zone.enabled', 'use_load_balancer_configuration', ['true', 'false', 'use_load_balancer_configuration']),
    range('target_group_health.dns_failover.minimum_healthy_targets.count', '1', 1, 1_000_000, ['off']),
    range('target_group_health.dns_failover.minimum_healthy_targets.percentage', 'off', 1, 100, ['off']),
    range('target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', '1', 1, 1_000_000),
    range('target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage', 'off', 1, 100, ['off']),
  ]
}

const MTLS_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['serial_number', 'X-Amzn-Mtls-Clientcert-Serial-Number'],
  ['issuer', 'X-Amzn-Mtls-Clientcert-Issuer'],
  ['subject', 'X-Amzn-Mtls-Clientcert-Subject'],
  ['validity', 'X-Amzn-Mtls-Clientcert-Validity'],
  ['leaf', 'X-Amzn-Mtls-Clientcert-Leaf'],
]

const HEADER_NAME_CHECK = (v: string): string | undefined =>
  /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,40}$/.test(v) ? undefined : `Header name '${v}' is not valid`

/** ALB listener attributes (spec §5.2). Response-header values default to empty (= not added). */
export function listenerAttributeSpecs(protocol: string): readonly AttributeSpec[] {
  const specs: AttributeSpec[] = []
  if (protocol === 'HTTPS') {
    for (const [field, name] of MTLS_HEADERS) specs.push(text(`routing.http.request.x_amzn_mtls_clientcert_${field}.header_name`, name, HEADER_NAME_CHECK))
    specs.push(text('routing.http.request.x_amzn_mtls_clientcert.header_name', 'X-Amzn-Mtls-Clientcert', HEADER_NAME_CHECK))
    specs.push(text('routing.http.request.x_amzn_tls_version.header_name', 'X-Amzn-Tls-Version', HEADER_NAME_CHECK))
    specs.push(text('routing.http.request.x_amzn_tls_cipher_suite.header_name', 'X-Amzn-Tls-Cipher-Suite', HEADER_NAME_CHECK))
  }
  specs.push(bool('routing.http.response.server.enabled', 'true'))
  for (const header of [
    'strict_transport_security', 'access_control_allow_origin', 'access_control_allow_methods', 'access_control_allow_headers',
    'access_control_allow_credentials', 'access_control_expose_headers', 'access_control_max_age', 'content_security_policy',
    'x_content_type_options', 'x_frame_options',
  ]) specs.push(text(`routing.http.response.${header}.header_value`, ''))
  return specs
}

/** Stored overrides merged over the defaults, in spec order. */
export function effectiveAttributes(specs: readonly AttributeSpec[], stored: Readonly<Record<string, string>>): Array<{ key: string; value: string }> {
  return specs.map((s) => ({ key: s.key, value: Object.hasOwn(stored, s.key) ? stored[s.key]! : s.defaultValue }))
}

/** One attribute value by key with its default. */
export function attributeValue(specs: readonly AttributeSpec[], stored: Readonly<Record<string, string>>, key: string): string {
  if (Object.hasOwn(stored, key)) return stored[key]!
  return specs.find((s) => s.key === key)?.defaultValue ?? ''
}
