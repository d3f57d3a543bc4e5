/**
 * @module model/resources
 * The records OpenALB stores. Pure data, no I/O: the API turns requests into these,
 * the store persists them as JSON, the config compiler turns them into a snapshot.
 * Field names are camelCase; AWS wire names live only in `api/`.
 */

/** Tags in the order the user gave them (AWS echoes that order). */
export type TagList = ReadonlyArray<{ readonly key: string; readonly value: string }>

interface Regional {
  /** Region taken from the SigV4 credential scope of the creating request. */
  readonly region: string
  readonly tags: TagList
}

// ---------------------------------------------------------------- EC2

export interface Vpc extends Regional {
  readonly id: string
  readonly cidrBlock: string
  readonly cidrAssociationId: string
  readonly isDefault: boolean
  readonly instanceTenancy: string
  readonly dhcpOptionsId: string
  readonly enableDnsSupport: boolean
  readonly enableDnsHostnames: boolean
}

export interface Subnet extends Regional {
  readonly id: string
  readonly vpcId: string
  readonly cidrBlock: string
  readonly availabilityZone: string
  readonly availabilityZoneId: string
  readonly defaultForAz: boolean
  readonly mapPublicIpOnLaunch: boolean
}

/** `ruleId` is the `sgr-…` id AuthorizeSecurityGroupIngress/Egress reported for the entry. */
export interface IpRange { readonly cidrIp: string; readonly description?: string; readonly ruleId?: string }
export interface Ipv6Range { readonly cidrIpv6: string; readonly description?: string; readonly ruleId?: string }
export interface GroupPair { readonly groupId: string; readonly userId: string; readonly description?: string; readonly ruleId?: string }
export interface IpPermission {
  readonly ipProtocol: string
  readonly fromPort?: number
  readonly toPort?: number
  readonly ipRanges: readonly IpRange[]
  readonly ipv6Ranges: readonly Ipv6Range[]
  readonly userIdGroupPairs: readonly GroupPair[]
}

export interface SecurityGroup extends Regional {
  readonly id: string
  readonly vpcId: string
  readonly groupName: string
  readonly description: string
  readonly ingress: readonly IpPermission[]
  readonly egress: readonly IpPermission[]
}

export interface InternetGateway extends Regional {
  readonly id: string
  readonly attachments: ReadonlyArray<{ readonly vpcId: string; readonly state: string }>
}

export interface Route {
  readonly destinationCidrBlock: string
  readonly gatewayId: string
  readonly state: string
  readonly origin: 'CreateRouteTable' | 'CreateRoute'
}
export interface RouteTableAssociation {
  readonly id: string
  readonly subnetId?: string
  readonly main: boolean
}
export interface RouteTable extends Regional {
  readonly id: string
  readonly vpcId: string
  readonly routes: readonly Route[]
  readonly associations: readonly RouteTableAssociation[]
}

/** EC2 instance states with their numeric codes, as DescribeInstances prints them. */
export const INSTANCE_STATE_CODES = {
  pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80,
} as const
export type InstanceStateName = keyof typeof INSTANCE_STATE_CODES

export interface Instance extends Regional {
  readonly id: string
  readonly reservationId: string
  readonly imageId: string
  readonly instanceType: string
  readonly keyName?: string
  readonly subnetId: string
  readonly vpcId: string
  readonly availabilityZone: string
  /** On one machine a loopback address (DESIGN.md): traffic to `Id=i-…,Port=80` goes to this IP. */
  readonly privateIpAddress: string
  readonly securityGroupIds: readonly string[]
  /**
   * The state the last transition entered (`pending`, `stopping`, `shutting-down`, or a settled
   * state). Never read it directly: `currentInstanceState()` (model/instance-state.ts) derives
   * the state at a given time from this and `stateChangedAt`.
   */
  readonly state: InstanceStateName
  /** Epoch ms. */
  readonly launchTime: number
  readonly amiLaunchIndex: number
  /** Epoch ms of the last transition (RunInstances, Stop/Start/TerminateInstances); launchTime when absent. */
  readonly stateChangedAt?: number
  /** The primary network interface (`eni-…`) DescribeInstances reports. */
  readonly networkInterfaceId?: string
  readonly macAddress?: string
  readonly clientToken?: string
  readonly monitoringEnabled?: boolean
  /** RunInstances' DisableApiTermination: TerminateInstances refuses while true. */
  readonly disableApiTermination?: boolean
}

// ---------------------------------------------------------------- ELBv2

export interface LoadBalancerZone { readonly subnetId: string; readonly zoneName: string }

export interface LoadBalancer extends Regional {
  readonly arn: string
  readonly name: string
  readonly dnsName: string
  readonly canonicalHostedZoneId: string
  /** Epoch ms. */
  readonly createdTime: number
  readonly scheme: 'internet-facing' | 'internal'
  readonly type: 'application' | 'network' | 'gateway'
  readonly ipAddressType: string
  readonly vpcId: string
  readonly zones: readonly LoadBalancerZone[]
  readonly securityGroups: readonly string[]
  /** Only the keys a user changed; defaults come from model/attributes. */
  readonly attributes: Readonly<Record<string, string>>
  /** ModifyCapacityReservation, stored and echoed (no data-plane effect on one machine). */
  readonly capacityReservation?: CapacityReservation
  /** ModifyIpPools, stored and echoed (addresses on one machine come from the bind address). */
  readonly ipamPools?: { readonly ipv4IpamPoolId?: string }
}

export interface CapacityReservation {
  /** Absent after ResetCapacityReservation. */
  readonly capacityUnits?: number
  /** Epoch ms of the last ModifyCapacityReservation. */
  readonly lastModifiedTime: number
  /** Epoch ms of recent decreases: AWS allows two a day. */
  readonly decreases: readonly number[]
}

export interface Matcher { readonly httpCode?: string; readonly grpcCode?: string }

export interface HealthCheck {
  readonly enabled: boolean
  readonly protocol?: string
  readonly port?: string
  readonly path?: string
  readonly intervalSeconds: number
  readonly timeoutSeconds: number
  readonly healthyThresholdCount: number
  readonly unhealthyThresholdCount: number
  readonly matcher?: Matcher
}

export interface TargetGroup extends Regional {
  readonly arn: string
  readonly name: string
  readonly protocol?: string
  readonly protocolVersion?: string
  readonly port?: number
  readonly vpcId?: string
  readonly targetType: 'instance' | 'ip' | 'lambda' | 'alb'
  readonly ipAddressType?: string
  readonly healthCheck: HealthCheck
  readonly attributes: Readonly<Record<string, string>>
  readonly createdTime: number
  /** Port of the target optimizer agent (newer CreateTargetGroup member); stored and echoed. */
  readonly targetControlPort?: number
}

/**
 * One registration of a target in a target group. Keyed `tgArn|id|port`, the stable
 * identity the data plane keys its runtime state by.
 */
export interface Registration {
  readonly key: string
  readonly targetGroupArn: string
  readonly targetId: string
  readonly port: number
  readonly availabilityZone?: string
  /** Epoch ms of the (latest) RegisterTargets. */
  readonly registeredAt: number
  /** Epoch ms of DeregisterTargets; the target drains until this plus the deregistration delay. */
  readonly deregisteredAt?: number
}

export interface TargetGroupTuple { readonly targetGroupArn: string; readonly weight?: number }
export interface ForwardConfig {
  readonly targetGroups: readonly TargetGroupTuple[]
  readonly targetGroupStickinessConfig?: { readonly enabled: boolean; readonly durationSeconds?: number }
}
export interface RedirectConfig {
  readonly protocol: string
  readonly port: string
  readonly host: string
  readonly path: string
  readonly query: string
  readonly statusCode: 'HTTP_301' | 'HTTP_302'
}
export interface FixedResponseConfig {
  readonly statusCode: string
  readonly contentType?: string
  readonly messageBody?: string
}

export type ActionType =
  | 'forward' | 'redirect' | 'fixed-response'
  | 'authenticate-oidc' | 'authenticate-cognito' | 'jwt-validation'

export interface Action {
  readonly type: ActionType
  readonly order?: number
  readonly targetGroupArn?: string
  readonly forwardConfig?: ForwardConfig
  readonly redirectConfig?: RedirectConfig
  readonly fixedResponseConfig?: FixedResponseConfig
  /** Authentication configs are stored and echoed as given (wire shape), not enforced. */
  readonly authenticateOidcConfig?: Readonly<Record<string, unknown>>
  readonly authenticateCognitoConfig?: Readonly<Record<string, unknown>>
  readonly jwtValidationConfig?: Readonly<Record<string, unknown>>
}

export type ConditionField =
  | 'host-header' | 'path-pattern' | 'http-header' | 'http-request-method' | 'query-string' | 'source-ip'

export interface QueryStringKeyValue { readonly key?: string; readonly value: string }

export interface Condition {
  readonly field: ConditionField
  /** Legacy top-level Values (host-header and path-pattern only). */
  readonly values?: readonly string[]
  readonly hostHeaderConfig?: { readonly values?: readonly string[]; readonly regexValues?: readonly string[] }
  readonly pathPatternConfig?: { readonly values?: readonly string[]; readonly regexValues?: readonly string[] }
  readonly httpHeaderConfig?: {
    readonly httpHeaderName: string
    readonly values?: readonly string[]
    readonly regexValues?: readonly string[]
  }
  readonly httpRequestMethodConfig?: { readonly values: readonly string[] }
  readonly queryStringConfig?: { readonly values: readonly QueryStringKeyValue[] }
  readonly sourceIpConfig?: { readonly values: readonly string[] }
}

export interface Listener extends Regional {
  readonly arn: string
  readonly loadBalancerArn: string
  readonly port: number
  readonly protocol: string
  readonly sslPolicy?: string
  /** The default certificate (HTTPS). */
  readonly defaultCertificateArn?: string
  /** Certificates added with AddListenerCertificates, in order (SNI candidates). */
  readonly certificateArns: readonly string[]
  readonly alpnPolicy?: readonly string[]
  readonly mutualAuthentication?: Readonly<Record<string, unknown>>
  readonly attributes: Readonly<Record<string, string>>
  readonly createdTime: number
}

export interface Rule extends Regional {
  readonly arn: string
  readonly listenerArn: string
  /** 1..50000, or 'default' for the listener's default rule. */
  readonly priority: number | 'default'
  readonly conditions: readonly Condition[]
  readonly actions: readonly Action[]
  readonly transforms?: ReadonlyArray<Readonly<Record<string, unknown>>>
}

/** Store-and-echo trust store (mTLS is not enforced by the data plane yet). */
export interface TrustStore extends Regional {
  readonly arn: string
  readonly name: string
  readonly caCertificatesBundleS3Bucket: string
  readonly caCertificatesBundleS3Key: string
  readonly caCertificatesBundleS3ObjectVersion?: string
  readonly createdTime: number
  /** Revocation lists added with AddTrustStoreRevocations: their S3 locations only (store-and-echo). */
  readonly revocations?: readonly TrustStoreRevocation[]
}

export interface TrustStoreRevocation {
  /** Per trust store, from 1 (RevocationId is a long in the model). */
  readonly id: number
  readonly type: 'CRL'
  readonly s3Bucket: string
  readonly s3Key: string
  readonly s3ObjectVersion?: string
}

// ---------------------------------------------------------------- ACM

export interface Certificate extends Regional {
  readonly arn: string
  readonly domainName: string
  readonly subjectAlternativeNames: readonly string[]
  readonly certificatePem: string
  readonly chainPem?: string
  readonly privateKeyPem: string
  readonly type: 'IMPORTED' | 'AMAZON_ISSUED' | 'PRIVATE'
  readonly serial: string
  readonly subject: string
  readonly issuer: string
  readonly notBefore: number
  readonly notAfter: number
  readonly keyAlgorithm: string
  readonly signatureAlgorithm: string
  readonly createdAt: number
  readonly importedAt?: number
  readonly issuedAt?: number
}

/** Every kind of record the store holds, by kind name. */
export interface Records {
  vpc: Vpc
  subnet: Subnet
  securityGroup: SecurityGroup
  internetGateway: InternetGateway
  routeTable: RouteTable
  instance: Instance
  loadBalancer: LoadBalancer
  targetGroup: TargetGroup
  registration: Registration
  listener: Listener
  rule: Rule
  trustStore: TrustStore
  certificate: Certificate
}
export type Kind = keyof Records
export const KINDS: readonly Kind[] = [
  'vpc', 'subnet', 'securityGroup', 'internetGateway', 'routeTable', 'instance',
  'loadBalancer', 'targetGroup', 'registration', 'listener', 'rule', 'trustStore', 'certificate',
]
