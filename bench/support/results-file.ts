import { readFile, writeFile } from 'node:fs/promises';

/**
 * bench/RESULTS.md holds one section per benchmark, each between its own markers, so that each
 * bench rewrites only its own part (booking: issue 3, dispatch and send-statements: issue 4, workspace: issue 5, web: issue 6,
 * care-plans, footprint and timing: issue 7). A file without markers
 * is the booking bench's older, whole-file format: it is taken as the booking section.
 */
// A hand-written section (a before/after history) is kept as it is, in its place.
const HAND_WRITTEN = ['booking-history', 'dispatch-history', 'workspace-history', 'web-history', 'timing-history'];
const begin = (name: string) =>
  HAND_WRITTEN.includes(name) ? `<!-- bench:${name} begin (hand-written; kept by the benches) -->` : `<!-- bench:${name} begin (generated; rewritten by the bench, edit the generator instead) -->`;
const end = (name: string) => `<!-- bench:${name} end -->`;
const ORDER = ['booking', 'booking-history', 'dispatch', 'dispatch-history', 'send-statements', 'workspace', 'workspace-history', 'care-plans', 'web', 'web-history', 'footprint', 'timing', 'timing-history'];

export async function writeSection(path: string, name: string, markdown: string): Promise<void> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    /* a new file */
  }
  const sections = new Map<string, string>();
  const pattern = /<!-- bench:([a-z-]+) begin[^>]*-->\n([\s\S]*?)\n<!-- bench:\1 end -->/g;
  let found = false;
  for (const m of text.matchAll(pattern)) {
    sections.set(m[1]!, m[2]!);
    found = true;
  }
  if (!found && text.trim()) sections.set('booking', text.trimEnd());
  sections.set(name, markdown.trimEnd());
  const names = [...ORDER.filter((n) => sections.has(n)), ...[...sections.keys()].filter((n) => !ORDER.includes(n))];
  await writeFile(path, names.map((n) => `${begin(n)}\n${sections.get(n)}\n${end(n)}\n`).join('\n'));
}

/** One section's text as the file holds it (between its markers), or null when the file or the section is not there. */
export async function readSection(path: string, name: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const m = new RegExp(`<!-- bench:${name} begin[^>]*-->\\n([\\s\\S]*?)\\n<!-- bench:${name} end -->`).exec(text);
  return m ? m[1]! : null;
}
