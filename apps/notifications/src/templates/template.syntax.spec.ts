import { describe, expect, it } from '@jest/globals';
import { parseTemplate, renderTemplate, staticTextOf, TemplateSyntaxError, variablesOf } from './template.syntax.js';

describe('template syntax', () => {
  it('replaces variables and leaves other text alone', () => {
    expect(renderTemplate('Hi {{firstName}}, see you at {{ clinicName }}.', { firstName: 'Ana', clinicName: 'Aftercare' })).toBe('Hi Ana, see you at Aftercare.');
  });

  it('renders a missing value as empty', () => {
    expect(renderTemplate('[{{firstName}}]', {})).toBe('[]');
  });

  it('shows a section only when its value is not empty, an inverted one only when it is', () => {
    const template = 'Hi{{#firstName}} {{firstName}}{{/firstName}}{{^firstName}} there{{/firstName}}!';
    expect(renderTemplate(template, { firstName: 'Ana' })).toBe('Hi Ana!');
    expect(renderTemplate(template, { firstName: '' })).toBe('Hi there!');
    expect(renderTemplate(template, {})).toBe('Hi there!');
  });

  it('nests sections', () => {
    const template = '{{#a}}A{{#b}}B{{/b}}{{/a}}';
    expect(renderTemplate(template, { a: '1', b: '1' })).toBe('AB');
    expect(renderTemplate(template, { a: '1' })).toBe('A');
    expect(renderTemplate(template, { b: '1' })).toBe('');
  });

  it('keeps single braces and a lone closing pair as text', () => {
    expect(renderTemplate('{a} }} {', {})).toBe('{a} }} {');
  });

  it('lists the variables a template uses, sections included, once each', () => {
    expect(variablesOf(parseTemplate('{{a}} {{#b}}{{c}}{{a}}{{/b}} {{^d}}x{{/d}}'))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives the template its own words without the placeholders', () => {
    expect(staticTextOf(parseTemplate('Your knee{{#x}} and {{y}}{{/x}}.'))).toMatch(/^Your knee\s+and\s+\.$/);
  });

  it.each([
    ['{{first name}}', /not a placeholder/],
    ['{{}}', /not a placeholder/],
    ['{{firstName', /not a placeholder/],
    ['{{#a}}x', /never closed/],
    ['x{{/a}}', /never opened/],
    ['{{#a}}{{#b}}{{/a}}{{/b}}', /close the inner section first/],
    ['{{1abc}}', /not a placeholder/],
  ])('refuses %j', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate(template)).toThrow(message);
  });

  it('says where the problem is', () => {
    try {
      parseTemplate('Hello {{ oops');
      throw new Error('not thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateSyntaxError);
      expect((error as TemplateSyntaxError).offset).toBe(6);
      expect((error as Error).message).toContain('character 7');
    }
  });
});
