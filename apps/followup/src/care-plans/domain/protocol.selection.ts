/**
 * Which protocol follows up a completed procedure. Plain functions, no Nest, no I/O.
 *
 * A protocol is for one procedure type, optionally narrowed to a treated site and / or a
 * condition. Among the active protocols of the procedure's type, those whose every scope field
 * matches are candidates, and the most specific wins: site and condition > condition > site >
 * the type's default (no scope). The condition ranks above the site because it decides how
 * healing goes (a fracture heals unlike osteoarthritis), where the site mostly changes wording.
 * A tie between two site protocols that both match ("knee" and "left knee" for "Left knee") goes
 * to the longer, more precise site.
 */

export interface ProtocolScope {
  code: string;
  site: string | null;
  condition: string | null;
}

export interface ProcedureFacts {
  site: string | null;
  condition: string | null;
}

/** Lower-case words of a site: "Left knee (medial)" → ["left", "knee", "medial"]. */
export function siteWords(site: string): string[] {
  return site
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** "knee" matches "Left knee", "knee, right"; not "kneecap". Every word of the protocol's site must appear in order. */
export function siteMatches(protocolSite: string, procedureSite: string | null): boolean {
  if (!procedureSite) return false;
  const wanted = siteWords(protocolSite);
  const have = siteWords(procedureSite);
  if (wanted.length === 0) return false;
  for (let start = 0; start + wanted.length <= have.length; start++) {
    if (wanted.every((w, i) => have[start + i] === w)) return true;
  }
  return false;
}

/** The most specific matching protocol, or null when none matches (not even a default). */
export function selectProtocol<T extends ProtocolScope>(candidates: readonly T[], facts: ProcedureFacts): T | null {
  let best: { protocol: T; rank: number } | null = null;
  for (const protocol of candidates) {
    if (protocol.site && !siteMatches(protocol.site, facts.site)) continue;
    if (protocol.condition && protocol.condition !== facts.condition) continue;
    const rank = (protocol.condition ? 2_000 : 0) + (protocol.site ? 1_000 + Math.min(999, siteWords(protocol.site).join(' ').length) : 0);
    if (!best || rank > best.rank || (rank === best.rank && protocol.code < best.protocol.code)) best = { protocol, rank };
  }
  return best?.protocol ?? null;
}

/** Two scopes that would compete for exactly the same procedures (only one may be active). */
export function sameScope(a: Omit<ProtocolScope, 'code'>, b: Omit<ProtocolScope, 'code'>): boolean {
  const site = (s: string | null) => (s ? siteWords(s).join(' ') : '');
  return site(a.site) === site(b.site) && (a.condition ?? '') === (b.condition ?? '');
}
