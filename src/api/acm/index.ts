/**
 * @module api/acm
 * The part of AWS Certificate Manager the ALB workflow uses (seed 002: import a self-signed
 * certificate, attach it to an HTTPS listener). JSON protocol 1.1:
 * `X-Amz-Target: CertificateManager.<Operation>`; blobs arrive base64-encoded; timestamps are
 * epoch seconds; errors are `{"__type": "<Code>", "message": "…"}`.
 */
import { randomUUID } from 'node:crypto'
import { ApiError } from '../errors.ts'
import type { Context } from '../context.ts'
import type { Certificate, TagList } from '../../model/resources.ts'
import { CertificateError, parseImport } from '../../model/certificates.ts'
import type { IssuedCertificate, LocalCa } from '../../tls/local-ca.ts'

export type JsonInput = Record<string, unknown>
/** `prepared` is what the operation's async `prepare` step produced (RequestCertificate's issued certificate). */
export type AcmHandler = (input: JsonInput, ctx: Context, prepared?: unknown) => unknown
export interface AcmDeps { readonly localCa: () => Promise<LocalCa> }

const ARN_PATTERN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/

function string(input: JsonInput, name: string, required: true): string
function string(input: JsonInput, name: string, required?: false): string | undefined
function string(input: JsonInput, name: string, required = false): string | undefined {
  const v = input[name]
  if (v === undefined || v === null) {
    if (required) throw new ApiError('ValidationException', `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`)
    return undefined
  }
  if (typeof v !== 'string') throw new ApiError('ValidationException', `Invalid type for ${name}: expected a string`)
  return v
}

function blob(input: JsonInput, name: string, required: boolean): string | undefined {
  const v = string(input, name, required as false)
  if (v === undefined) return undefined
  if (!/^[A-Za-z0-9+/=\s]*$/.test(v)) throw new ApiError('ValidationException', `Invalid base64 for ${name}`)
  return Buffer.from(v, 'base64').toString('utf8')
}

function tags(input: JsonInput): TagList | undefined {
  const v = input.Tags
  if (v === undefined) return undefined
  if (!Array.isArray(v)) throw new ApiError('ValidationException', 'Tags must be a list')
  if (v.length > 50) throw new ApiError('TooManyTagsException', 'the TagSet contains too many Tags')
  return v.map((t: unknown) => {
    const tag = (t ?? {}) as Record<string, unknown>
    if (typeof tag.Key !== 'string' || tag.Key.length < 1 || tag.Key.length > 128) throw new ApiError('InvalidParameterException', 'Tag keys must be 1-128 characters')
    if (tag.Key.startsWith('aws:')) throw new ApiError('InvalidTagException', "Tags beginning with 'aws:' are reserved for system use")
    if (tag.Value !== undefined && (typeof tag.Value !== 'string' || tag.Value.length > 256)) throw new ApiError('InvalidParameterException', 'Tag values must be at most 256 characters')
    return { key: tag.Key, value: typeof tag.Value === 'string' ? tag.Value : '' }
  })
}

function arnOf(input: JsonInput): string {
  const arn = string(input, 'CertificateArn', true)
  if (!ARN_PATTERN.test(arn)) throw new ApiError('InvalidArnException', `String '${arn}' is not a valid ARN`)
  return arn
}

function getCertificate(ctx: Context, arn: string): Certificate {
  const cert = ctx.tx.get('certificate', arn)
  if (cert === undefined || cert.region !== ctx.region) throw new ApiError('ResourceNotFoundException', `Could not find certificate ${arn}.`)
  return cert
}

/** ARNs of the load balancers whose listeners use the certificate (ACM's InUseBy). */
function inUseBy(ctx: Context, arn: string): string[] {
  const lbs = new Set<string>()
  for (const listener of ctx.tx.list('listener')) {
    if (listener.defaultCertificateArn === arn || listener.certificateArns.includes(arn)) lbs.add(listener.loadBalancerArn)
  }
  return [...lbs]
}

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000)

function status(cert: Certificate, now: number): string {
  return cert.notAfter < now ? 'EXPIRED' : 'ISSUED'
}

function importCertificate(input: JsonInput, ctx: Context): unknown {
  const certificatePem = blob(input, 'Certificate', true)!
  const privateKeyPem = blob(input, 'PrivateKey', true)!
  const chainPem = blob(input, 'CertificateChain', false)
  const reimportArn = input.CertificateArn === undefined ? undefined : arnOf(input)
  const newTags = tags(input)
  let parsed
  try {
    parsed = parseImport(certificatePem, privateKeyPem, chainPem, ctx.tx.now)
  } catch (err) {
    if (err instanceof CertificateError) throw new ApiError('ValidationException', err.message)
    throw err
  }
  const existing = reimportArn === undefined ? undefined : getCertificate(ctx, reimportArn)
  if (existing !== undefined && newTags !== undefined) {
    throw new ApiError('InvalidParameterException', 'You cannot add tags when reimporting a certificate.')
  }
  if (existing !== undefined && existing.type !== 'IMPORTED') throw new ApiError('ValidationException', 'Only imported certificates can be reimported.')
  const arn = existing?.arn ?? `arn:aws:acm:${ctx.region}:${ctx.options.accountId}:certificate/${randomUUID()}`
  const cert: Certificate = {
    arn, region: ctx.region, tags: existing?.tags ?? newTags ?? [],
    ...parsed,
    certificatePem, privateKeyPem, ...(chainPem !== undefined ? { chainPem } : {}),
    type: 'IMPORTED',
    createdAt: existing?.createdAt ?? ctx.tx.now,
    importedAt: ctx.tx.now,
  }
  ctx.tx.put('certificate', arn, cert)
  return { CertificateArn: arn }
}

function detail(cert: Certificate, ctx: Context): Record<string, unknown> {
  return {
    CertificateArn: cert.arn,
    DomainName: cert.domainName,
    SubjectAlternativeNames: cert.subjectAlternativeNames,
    Serial: cert.serial,
    Subject: cert.subject,
    Issuer: cert.issuer,
    ...(cert.type === 'IMPORTED' ? { ImportedAt: seconds(cert.importedAt) } : { CreatedAt: seconds(cert.createdAt), IssuedAt: seconds(cert.issuedAt) }),
    Status: status(cert, ctx.tx.now),
    NotBefore: seconds(cert.notBefore),
    NotAfter: seconds(cert.notAfter),
    KeyAlgorithm: cert.keyAlgorithm,
    SignatureAlgorithm: cert.signatureAlgorithm,
    InUseBy: inUseBy(ctx, cert.arn),
    Type: cert.type,
    KeyUsages: [{ Name: 'DIGITAL_SIGNATURE' }, { Name: 'KEY_ENCIPHERMENT' }],
    ExtendedKeyUsages: [{ Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' }],
    RenewalEligibility: 'INELIGIBLE',
    // Export (2025 model member): only exportable public certificates say ENABLED; imported and
    // local-CA certificates cannot be exported (value as moto reports it; UNVERIFIED against AWS).
    Options: { CertificateTransparencyLoggingPreference: 'ENABLED', Export: 'DISABLED' },
    ...(cert.type === 'AMAZON_ISSUED'
      ? { DomainValidationOptions: cert.subjectAlternativeNames.map((name) => ({ DomainName: name, ValidationDomain: name, ValidationStatus: 'SUCCESS', ValidationMethod: 'DNS' })) }
      : {}),
  }
}

function describeCertificate(input: JsonInput, ctx: Context): unknown {
  return { Certificate: detail(getCertificate(ctx, arnOf(input)), ctx) }
}

function listCertificates(input: JsonInput, ctx: Context): unknown {
  const statuses = Array.isArray(input.CertificateStatuses) ? (input.CertificateStatuses as unknown[]).map(String) : undefined
  const maxItems = typeof input.MaxItems === 'number' ? input.MaxItems : 1000
  if (maxItems < 1 || maxItems > 1000) throw new ApiError('ValidationException', `1 validation error detected: Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`)
  const token = typeof input.NextToken === 'string' ? input.NextToken : undefined
  const start = token === undefined ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'))
  if (!Number.isInteger(start) || start < 0) throw new ApiError('InvalidNextTokenException', 'The specified token is invalid.')
  const all = ctx.tx.list('certificate').filter((c) => c.region === ctx.region && (statuses === undefined || statuses.length === 0 || statuses.includes(status(c, ctx.tx.now))))
  const page = all.slice(start, start + maxItems)
  return {
    CertificateSummaryList: page.map((c) => ({
      CertificateArn: c.arn,
      DomainName: c.domainName,
      SubjectAlternativeNameSummaries: c.subjectAlternativeNames,
      HasAdditionalSubjectAlternativeNames: false,
      Status: status(c, ctx.tx.now),
      Type: c.type,
      KeyAlgorithm: c.keyAlgorithm,
      KeyUsages: ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT'],
      ExtendedKeyUsages: ['TLS_WEB_SERVER_AUTHENTICATION'],
      InUse: inUseBy(ctx, c.arn).length > 0,
      Exported: false, // see Options.Export in DescribeCertificate
      RenewalEligibility: 'INELIGIBLE',
      NotBefore: seconds(c.notBefore),
      NotAfter: seconds(c.notAfter),
      CreatedAt: seconds(c.createdAt),
      ...(c.importedAt !== undefined ? { ImportedAt: seconds(c.importedAt) } : {}),
    })),
    ...(start + maxItems < all.length ? { NextToken: Buffer.from(String(start + maxItems)).toString('base64') } : {}),
  }
}

function getCertificatePem(input: JsonInput, ctx: Context): unknown {
  const cert = getCertificate(ctx, arnOf(input))
  return { Certificate: cert.certificatePem, ...(cert.chainPem !== undefined ? { CertificateChain: cert.chainPem } : {}) }
}

function deleteCertificate(input: JsonInput, ctx: Context): unknown {
  const cert = getCertificate(ctx, arnOf(input))
  if (inUseBy(ctx, cert.arn).length > 0) throw new ApiError('ResourceInUseException', `Certificate ${cert.arn} in account ${ctx.options.accountId} is in use.`)
  ctx.tx.delete('certificate', cert.arn)
  return {}
}

function addTagsToCertificate(input: JsonInput, ctx: Context): unknown {
  const cert = getCertificate(ctx, arnOf(input))
  const added = tags(input)
  if (added === undefined || added.length === 0) throw new ApiError('ValidationException', "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
  const map = new Map(cert.tags.map((t) => [t.key, t.value]))
  for (const t of added) map.set(t.key, t.value)
  if (map.size > 50) throw new ApiError('TooManyTagsException', 'the TagSet contains too many Tags')
  ctx.tx.put('certificate', cert.arn, { ...cert, tags: [...map].map(([key, value]) => ({ key, value })) })
  return {}
}

function removeTagsFromCertificate(input: JsonInput, ctx: Context): unknown {
  const cert = getCertificate(ctx, arnOf(input))
  const removed = tags(input) ?? []
  const next = cert.tags.filter((t) => !removed.some((r) => r.key === t.key && (r.value === '' || r.value === t.value)))
  ctx.tx.put('certificate', cert.arn, { ...cert, tags: next })
  return {}
}

function listTagsForCertificate(input: JsonInput, ctx: Context): unknown {
  const cert = getCertificate(ctx, arnOf(input))
  return { Tags: cert.tags.map((t) => ({ Key: t.key, Value: t.value })) }
}

const DOMAIN_PATTERN = /^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$/

function requestedNames(input: JsonInput): { domainName: string; alternativeNames: string[] } {
  const domainName = string(input, 'DomainName', true)
  if (domainName.length < 1 || domainName.length > 253 || !DOMAIN_PATTERN.test(domainName)) {
    throw new ApiError('ValidationException', `1 validation error detected: Value '${domainName}' at 'domainName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(\\*\\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$`)
  }
  const sans = input.SubjectAlternativeNames
  if (sans !== undefined && (!Array.isArray(sans) || sans.some((n) => typeof n !== 'string' || !DOMAIN_PATTERN.test(n)))) {
    throw new ApiError('ValidationException', 'SubjectAlternativeNames must be a list of valid domain names')
  }
  const alternativeNames = (sans as string[] | undefined) ?? []
  if (alternativeNames.length > 100) throw new ApiError('LimitExceededException', 'A certificate can have at most 100 domain names')
  const method = input.ValidationMethod
  if (method !== undefined && method !== 'DNS' && method !== 'EMAIL' && method !== 'HTTP') {
    throw new ApiError('ValidationException', `1 validation error detected: Value '${String(method)}' at 'validationMethod' failed to satisfy constraint: Member must satisfy enum value set: [EMAIL, DNS, HTTP]`)
  }
  return { domainName, alternativeNames }
}

/** Issues the certificate before the transaction (key generation and signing are asynchronous). */
async function prepareRequestCertificate(input: JsonInput, deps: AcmDeps): Promise<IssuedCertificate> {
  const { domainName, alternativeNames } = requestedNames(input)
  return (await deps.localCa()).issue(domainName, alternativeNames)
}

/** RequestCertificate: issued at once by OpenALB's local CA (no domain validation is possible on one machine). */
function requestCertificate(input: JsonInput, ctx: Context, prepared?: unknown): unknown {
  const issued = prepared as IssuedCertificate
  const newTags = tags(input) ?? []
  const parsed = parseImport(issued.certificatePem, issued.privateKeyPem, issued.chainPem, ctx.tx.now)
  const arn = `arn:aws:acm:${ctx.region}:${ctx.options.accountId}:certificate/${randomUUID()}`
  ctx.tx.put('certificate', arn, {
    arn, region: ctx.region, tags: newTags, ...parsed,
    certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem, chainPem: issued.chainPem,
    type: 'AMAZON_ISSUED', createdAt: ctx.tx.now, issuedAt: ctx.tx.now,
  })
  return { CertificateArn: arn }
}

export const acmPrepare: Readonly<Record<string, (input: JsonInput, deps: AcmDeps) => Promise<unknown>>> = {
  RequestCertificate: prepareRequestCertificate,
}

export const acmHandlers: Readonly<Record<string, AcmHandler>> = {
  ImportCertificate: importCertificate,
  DescribeCertificate: describeCertificate,
  ListCertificates: listCertificates,
  GetCertificate: getCertificatePem,
  DeleteCertificate: deleteCertificate,
  AddTagsToCertificate: addTagsToCertificate,
  RemoveTagsFromCertificate: removeTagsFromCertificate,
  ListTagsForCertificate: listTagsForCertificate,
  RequestCertificate: requestCertificate,
}
