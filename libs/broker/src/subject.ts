/**
 * Subject rules of nats-server (`IsValidSubject`, `IsValidLiteralSubject`): tokens are separated by '.',
 * no token is empty, '*' and '>' are wildcards only as a whole token and '>' only as the last one.
 * Subjects here are latin1 strings (one char per byte), so any byte round-trips unchanged.
 */
const DOT = 46;
const STAR = 42;
const GT = 62;

/** Valid for SUB: wildcards allowed. */
export function isValidSubject(subject: string): boolean {
  return check(subject, true);
}

/** Valid for PUB (pedantic): no wildcards. */
export function isValidLiteralSubject(subject: string): boolean {
  return check(subject, false);
}

/** True when the subject has a wildcard token. */
export function hasWildcard(subject: string): boolean {
  const n = subject.length;
  for (let i = 0; i < n; i++) {
    const c = subject.charCodeAt(i);
    if ((c === STAR || c === GT) && (i === 0 || subject.charCodeAt(i - 1) === DOT) && (i + 1 === n || subject.charCodeAt(i + 1) === DOT)) {
      return true;
    }
  }
  return false;
}

function check(subject: string, wildcardsAllowed: boolean): boolean {
  const n = subject.length;
  if (n === 0) return false;
  let tokenStart = 0;
  let sawFullWildcard = false;
  for (let i = 0; i <= n; i++) {
    if (i < n && subject.charCodeAt(i) !== DOT) continue;
    const len = i - tokenStart;
    if (len === 0 || sawFullWildcard) return false;
    if (len === 1) {
      const c = subject.charCodeAt(tokenStart);
      if (c === STAR || c === GT) {
        if (!wildcardsAllowed) return false;
        if (c === GT) sawFullWildcard = true;
      }
    }
    tokenStart = i + 1;
  }
  return true;
}

/** Does the literal subject match the pattern (which may have wildcards)? */
export function subjectMatches(pattern: string, literal: string): boolean {
  const p = pattern.split('.');
  const l = literal.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === '>') return l.length > i;
    if (i >= l.length) return false;
    if (t !== '*' && t !== l[i]) return false;
  }
  return p.length === l.length;
}
