/**
 * Small text formats of the clinic-setup forms: a resource's features ("ultrasound, doppler")
 * and what a procedure type needs, one resource a line ("procedure_room: ultrasound"). Codes are
 * lower case, digits and underscores, as the gateway checks them.
 */
import type { ResourceRequirement } from '@aftercare/contracts';

const CODE = /^[a-z][a-z0-9_]{0,63}$/;

/** "Procedure room" → "procedure_room": what an admin may type for a code. */
export function toCode(text: string): string {
  return text.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** A number field's text as the API takes it: a whole number, or the text itself, for the API to say what is wrong with it. */
export function numberOrText(text: string): number | string {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** "ultrasound, doppler" → ['ultrasound', 'doppler']; at most 10. */
export function parseCodeList(text: string, what = 'feature'): Parsed<string[]> {
  const codes = text.split(',').map(toCode).filter(Boolean);
  const bad = codes.find((c) => !CODE.test(c));
  if (bad) return { ok: false, error: `"${bad}" is not a ${what} code: use a-z, 0-9 and _, starting with a letter` };
  if (codes.length > 10) return { ok: false, error: `at most 10 ${what}s` };
  return { ok: true, value: [...new Set(codes)] };
}

export function formatRequirements(requires: readonly ResourceRequirement[]): string {
  return requires.map((r) => (r.features?.length ? `${r.category}: ${r.features.join(', ')}` : r.category)).join('\n');
}

/** One requirement a line: "category" or "category: feature, feature". */
export function parseRequirements(text: string): Parsed<ResourceRequirement[]> {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length > 10) return { ok: false, error: 'at most 10 rooms or pieces of equipment' };
  const value: ResourceRequirement[] = [];
  for (const [i, line] of lines.entries()) {
    const [categoryText = '', featuresText, extra] = line.split(':');
    if (extra !== undefined) return { ok: false, error: `line ${i + 1}: write "category: feature, feature"` };
    const category = toCode(categoryText);
    if (!CODE.test(category)) return { ok: false, error: `line ${i + 1}: "${categoryText.trim()}" is not a category code such as procedure_room` };
    const requirement: ResourceRequirement = { category };
    if (featuresText !== undefined && featuresText.trim()) {
      const features = parseCodeList(featuresText);
      if (!features.ok) return { ok: false, error: `line ${i + 1}: ${features.error}` };
      requirement.features = features.value;
    }
    value.push(requirement);
  }
  return { ok: true, value };
}
