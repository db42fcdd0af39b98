/** `Alice@Desk ` and `alice@desk` are one person: the two-person rule compares them as such. */
export function sameIdentity(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * The two-person rule (a resume, a strategy reload in LIVE): why the request may not go ahead,
 * or undefined when `approvedBy` names someone other than `requestedBy`.
 */
export function twoPersonRefusal(
  requestedBy: string,
  approvedBy: string | undefined,
): string | undefined {
  return !approvedBy?.trim() || sameIdentity(approvedBy, requestedBy)
    ? `two-person rule: an approver other than ${requestedBy} must approve (approvedBy)`
    : undefined;
}
