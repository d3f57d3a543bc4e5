/**
 * @module api/xml
 * Renders handler results as AWS Query/EC2 XML. Handlers return plain objects whose keys
 * are the service model's member names, in model order; this module adds the envelope.
 * Lists render as `<member>` (Query) or `<item>` (EC2) children; maps must be wrapped in XmlMap.
 * fast-xml-parser's XMLBuilder does the escaping and serialisation (see README: dependencies).
 */
import { XMLBuilder } from 'fast-xml-parser'
import type { ApiError } from './errors.ts'

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: false, processEntities: true })

/** A timestamp member: rendered as ISO 8601 with milliseconds. */
export class Timestamp {
  readonly ms: number
  constructor(ms: number) { this.ms = ms }
}

/**
 * A map member (the only one in ELBv2 is AuthenticationRequestExtraParams): the Query protocol
 * renders it `<Name><entry><key>k</key><value>v</value></entry>…</Name>` (spec §2.2), which
 * botocore and SDK v3 parse back into an object. A plain object would render as a structure
 * whose member names are the keys, and parsers would drop every one of them.
 */
export class XmlMap {
  readonly entries: ReadonlyArray<readonly [string, string]>
  constructor(entries: Iterable<readonly [string, string]>) { this.entries = [...entries] }
  static of(record: Readonly<Record<string, string>>): XmlMap { return new XmlMap(Object.entries(record)) }
}

type Tree = string | Tree[] | { [key: string]: Tree }

/** Characters XML 1.0 forbids even escaped (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/**
 * xmlSafe: `text` with every character XML cannot carry replaced by U+FFFD. The API refuses
 * such characters on input, so this only guards records stored before that check: one NUL
 * in a tag value would otherwise make every later Describe unparseable for botocore and the
 * SDKs ("not well-formed (invalid token)"), hiding every resource in the answer.
 */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD')
}

/** True when `text` holds a character XML 1.0 cannot carry. */
export function hasNonXmlChar(text: string): boolean {
  return NON_XML_CHAR_PRESENT.test(text)
}

const NON_XML_CHAR_PRESENT = new RegExp(NOT_XML_CHAR.source, 'u')

/** Converts a result object to the builder's tree: lists become `<member>`/`<item>` children. */
function toTree(value: unknown, listItem: string): Tree | undefined {
  if (value === undefined || value === null) return undefined
  if (value instanceof Timestamp) return new Date(value.ms).toISOString()
  if (typeof value === 'string') return xmlSafe(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value instanceof XmlMap) {
    return value.entries.length === 0 ? '' : { entry: value.entries.map(([key, v]) => ({ key: xmlSafe(key), value: xmlSafe(v) })) }
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => toTree(v, listItem)).filter((v): v is Tree => v !== undefined)
    return items.length === 0 ? '' : { [listItem]: items }
  }
  if (typeof value === 'object') {
    const out: { [key: string]: Tree } = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const t = toTree(v, listItem)
      if (t !== undefined) out[k] = t
    }
    return out
  }
  return String(value)
}

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

/** `<OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>`; the Result is always present (spec §2.2). */
export function renderQueryResult(namespace: string, operation: string, result: unknown, requestId: string): string {
  const body = toTree(result ?? {}, 'member')
  return XML_DECL + builder.build({
    [`${operation}Response`]: {
      '@xmlns': namespace,
      [`${operation}Result`]: body === undefined || typeof body === 'string' ? '' : body,
      ResponseMetadata: { RequestId: requestId },
    },
  })
}

export function renderQueryError(namespace: string, error: ApiError, requestId: string): string {
  return XML_DECL + builder.build({
    ErrorResponse: {
      '@xmlns': namespace,
      Error: { Type: error.fault, Code: xmlSafe(error.code), Message: xmlSafe(error.message) },
      RequestId: requestId,
    },
  })
}

/** EC2 protocol: no Result wrapper, `requestId` first, lists of `<item>`. */
export function renderEc2Result(namespace: string, operation: string, result: unknown, requestId: string): string {
  const body = toTree(result ?? {}, 'item')
  return XML_DECL + builder.build({
    [`${operation}Response`]: {
      '@xmlns': namespace,
      requestId,
      ...(body !== undefined && typeof body === 'object' && !Array.isArray(body) ? body : {}),
    },
  })
}

export function renderEc2Error(error: ApiError, requestId: string): string {
  return XML_DECL + builder.build({
    Response: { Errors: { Error: { Code: xmlSafe(error.code), Message: xmlSafe(error.message) } }, RequestID: requestId },
  })
}
