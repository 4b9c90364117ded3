/**
 * The template language admins edit: plain text with `{{variable}}` placeholders and two
 * mustache-style sections, so a text can leave out a part when a value is empty:
 *
 *   `{{firstName}}`                          the value
 *   `{{#clinicianName}} with {{clinicianName}}{{/clinicianName}}`   only when the value is not empty
 *   `{{^firstName}}Hello{{/firstName}}`     only when the value is empty
 *
 * Nothing else: no HTML escaping (SMS and plain-text email), no loops, no partials, no code.
 * Pure functions: no Nest, no I/O.
 */

export type TemplateNode =
  | { type: 'text'; value: string }
  | { type: 'variable'; name: string }
  | { type: 'section'; name: string; inverted: boolean; children: TemplateNode[] };

/** The text is not a well-formed template: a `{{` that is no tag, or sections that do not nest. */
export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
  constructor(
    message: string,
    /** Character offset of the problem in the template text. */
    readonly offset: number,
  ) {
    super(message);
  }
}

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/y;

/** Parses a template; throws TemplateSyntaxError naming what is wrong and where. */
export function parseTemplate(source: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const open: { name: string; offset: number; children: TemplateNode[] }[] = [];
  let children = root;
  let text = '';
  let i = 0;
  const flush = () => {
    if (text) children.push({ type: 'text', value: text });
    text = '';
  };
  while (i < source.length) {
    const start = source.indexOf('{{', i);
    if (start < 0) {
      text += source.slice(i);
      break;
    }
    text += source.slice(i, start);
    TAG.lastIndex = start;
    const match = TAG.exec(source);
    if (!match) {
      const snippet = source.slice(start, start + 24).split('\n')[0];
      throw new TemplateSyntaxError(`"${snippet}" at character ${start + 1} is not a placeholder: write {{name}}, {{#name}}…{{/name}} or {{^name}}…{{/name}}`, start);
    }
    const [, sigil, name] = match as unknown as [string, string, string];
    flush();
    if (sigil === '#' || sigil === '^') {
      const section: TemplateNode = { type: 'section', name, inverted: sigil === '^', children: [] };
      children.push(section);
      open.push({ name, offset: start, children });
      children = section.children;
    } else if (sigil === '/') {
      const top = open.pop();
      if (!top) throw new TemplateSyntaxError(`{{/${name}}} at character ${start + 1} closes a section that was never opened`, start);
      if (top.name !== name) throw new TemplateSyntaxError(`{{/${name}}} at character ${start + 1} closes {{#${top.name}}}: close the inner section first`, start);
      children = top.children;
    } else {
      children.push({ type: 'variable', name });
    }
    i = start + match[0].length;
  }
  flush();
  const unclosed = open.pop();
  if (unclosed) throw new TemplateSyntaxError(`{{#${unclosed.name}}} at character ${unclosed.offset + 1} is never closed with {{/${unclosed.name}}}`, unclosed.offset);
  return root;
}

/** Every variable name the template refers to, in order of first use. */
export function variablesOf(nodes: readonly TemplateNode[]): string[] {
  const seen = new Set<string>();
  const walk = (list: readonly TemplateNode[]) => {
    for (const node of list) {
      if (node.type === 'text') continue;
      seen.add(node.name);
      if (node.type === 'section') walk(node.children);
    }
  };
  walk(nodes);
  return [...seen];
}

/** The template's own words: its text with every placeholder left out. */
export function staticTextOf(nodes: readonly TemplateNode[]): string {
  return nodes.map((n) => (n.type === 'text' ? n.value : n.type === 'section' ? ` ${staticTextOf(n.children)} ` : ' ')).join('');
}

/** Renders parsed nodes; a missing value counts as empty. */
export function renderNodes(nodes: readonly TemplateNode[], values: Readonly<Record<string, string | undefined>>): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.value;
    else if (node.type === 'variable') out += values[node.name] ?? '';
    else if (!!values[node.name] !== node.inverted) out += renderNodes(node.children, values);
  }
  return out;
}

/** Parses and renders in one go. */
export function renderTemplate(source: string, values: Readonly<Record<string, string | undefined>>): string {
  return renderNodes(parseTemplate(source), values);
}
