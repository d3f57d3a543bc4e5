/**
 * @module dataplane/proxy/desync
 * HTTP desync mitigation (spec §6.3, after aws/http-desync-guardian): classify a parsed
 * request, then let `routing.http.desync_mitigation_mode` decide.
 *
 * The listener's request parser (listener/h1-request.ts) refuses, with 400 in every mode, what
 * it cannot frame safely — Content-Length values that disagree, Transfer-Encoding not ending
 * in chunked, bad methods, versions and request lines — where AWS's `monitor` would still
 * forward the Severe ones: the strictest reading, never a desync. The Ambiguous framings it
 * can frame (BothTeClPresent, DuplicateContentLength) it reports, and they go through the
 * mode table below like every other Ambiguous request.
 */
import type { DesyncMode } from '../../config/snapshot.ts'
import { asciiEqualsLower } from '../router/request.ts'

export type DesyncClass = 'compliant' | 'acceptable' | 'ambiguous' | 'severe'

export interface Classification {
  readonly class: DesyncClass
  /** Access-log classification_reason (GetHeadZeroContentLength, EmptyHeader …). */
  readonly reason: string
}

export const COMPLIANT: Classification = { class: 'compliant', reason: '' }

/** What the mode table says to do (spec §6.3). */
export type DesyncVerdict = 'allow' | 'allow-then-close' | 'block'

export function desyncVerdict(mode: DesyncMode, c: Classification): DesyncVerdict {
  switch (c.class) {
    case 'compliant': return 'allow'
    case 'acceptable': return mode === 'strictest' ? 'block' : 'allow'
    case 'ambiguous': return mode === 'monitor' ? 'allow' : mode === 'defensive' ? 'allow-then-close' : 'block'
    case 'severe': return mode === 'monitor' ? 'allow' : 'block'
  }
}

/**
 * classifyRequest looks at what the listener's parser let through. `BadTransferEncoding` (a coding
 * other than chunked) is reported separately by the caller as 501 (spec §7.4) in every mode,
 * because such a body cannot be framed. `framingProblem`: an Ambiguous framing the listener's
 * parser accepted (BothTeClPresent, DuplicateContentLength).
 */
export function classifyRequest(method: string, rawHeaders: readonly string[], framingProblem?: string): Classification {
  let result = framingProblem === undefined ? COMPLIANT : { class: 'ambiguous', reason: framingProblem } as const
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    const value = rawHeaders[i + 1]!
    if (value.length === 0) {
      // A header with an empty value: servers disagree on it (Ambiguous).
      if (result.class === 'compliant' || result.class === 'acceptable') result = { class: 'ambiguous', reason: 'EmptyHeader' }
      continue
    }
    if (name.length === 14 && asciiEqualsLower(name, 'content-length') && (method === 'GET' || method === 'HEAD')) {
      if (value.trim() === '0') {
        if (result.class === 'compliant') result = { class: 'acceptable', reason: 'GetHeadZeroContentLength' }
      } else if (result.class !== 'severe') {
        result = { class: 'ambiguous', reason: 'UndefinedContentLengthSemantics' }
      }
    }
  }
  return result
}

/**
 * transferEncodingProblem: undefined when Transfer-Encoding is absent or exactly `chunked`;
 * 'BadTransferEncoding' for another coding (→ 501), 'MultipleTransferEncodingChunked' for
 * `chunked` repeated (Severe → 400).
 */
export function transferEncodingProblem(rawHeaders: readonly string[]): 'BadTransferEncoding' | 'MultipleTransferEncodingChunked' | undefined {
  let chunked = 0
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length !== 17 || !asciiEqualsLower(name, 'transfer-encoding')) continue
    for (const coding of rawHeaders[i + 1]!.split(',')) {
      const c = coding.trim().toLowerCase()
      if (c === 'chunked') chunked++
      else if (c !== '') return 'BadTransferEncoding'
    }
  }
  return chunked > 1 ? 'MultipleTransferEncodingChunked' : undefined
}
