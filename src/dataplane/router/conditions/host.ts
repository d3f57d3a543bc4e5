/**
 * @module dataplane/router/conditions/host
 * `host-header` condition (UG "Condition types for listener rules" → Host conditions):
 * case-insensitive, `*` / `?` wildcards; `*.example.com` matches `test.example.com` but
 * not `example.com`; the FIRST Host header is used when several are sent (UG "HTTP
 * headers and Application Load Balancers", Host header).
 *
 * Port: wildcard `Values` are compared with the host name WITHOUT its `:port` (AWS
 * matches "the host name"; value patterns cannot even contain ':'), so `example.com`
 * matches `Host: example.com:8080`. `RegexValues` are "compared against the host header",
 * so they see the header as sent, port included — that is how the Terraform/Pulumi docs
 * tell users to match a non-standard port. Regexes run as written (JS RegExp, search
 * semantics, case-sensitive; UNVERIFIED whether AWS anchors or folds case).
 */
import type { Condition } from '../../../model/resources.ts'
import { compileAnyWildcard, compileRegexValues } from '../wildcard.ts'
import { conditionValues, type ConditionPredicate } from '../request.ts'

export function compileHostCondition(condition: Condition, problems: string[]): ConditionPredicate {
  const values = conditionValues(condition.values, condition.hostHeaderConfig?.values)
  const regexes = compileRegexValues(condition.hostHeaderConfig?.regexValues ?? [], problems)
  const wildcard = values.length > 0 ? compileAnyWildcard(values, { caseInsensitive: true, backslashEscapes: false }) : undefined
  return (view) => {
    if (wildcard !== undefined) {
      const name = view.hostName()
      if (name !== undefined && wildcard(name)) return true
    }
    if (regexes.length > 0) {
      const header = view.hostHeader()
      if (header !== undefined) for (const re of regexes) if (re.test(header)) return true
    }
    return false
  }
}
