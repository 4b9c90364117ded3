import { describe, expect, it } from '@jest/globals';
import { sameScope, selectProtocol, siteMatches } from './protocol.selection.js';
import { parseOffset, protocolProblems, BMAC_STANDARD } from './protocol.js';

const p = (code: string, site: string | null = null, condition: string | null = null) => ({ code, site, condition });

describe('selectProtocol: the most specific active protocol that matches', () => {
  const all = [p('bmac-standard'), p('bmac-knee', 'knee'), p('bmac-left-knee', 'left knee'), p('bmac-fracture', null, 'fracture'), p('bmac-knee-oa', 'knee', 'osteoarthritis')];

  it('takes the procedure type default when nothing narrower matches', () => {
    expect(selectProtocol(all, { site: 'right hip', condition: null })?.code).toBe('bmac-standard');
    expect(selectProtocol(all, { site: null, condition: null })?.code).toBe('bmac-standard');
  });

  it('prefers site and condition, then condition, then the longer site, then the default', () => {
    expect(selectProtocol(all, { site: 'Right knee', condition: 'osteoarthritis' })?.code).toBe('bmac-knee-oa');
    expect(selectProtocol(all, { site: 'Right knee', condition: 'fracture' })?.code).toBe('bmac-fracture');
    expect(selectProtocol(all, { site: 'Left knee (medial)', condition: null })?.code).toBe('bmac-left-knee');
    expect(selectProtocol(all, { site: 'knee, right', condition: null })?.code).toBe('bmac-knee');
  });

  it('answers null when there is no default and nothing matches', () => {
    expect(selectProtocol([p('bmac-knee', 'knee')], { site: 'hip', condition: null })).toBeNull();
  });

  it('matches whole words of the site, never parts of a word', () => {
    expect(siteMatches('knee', 'LEFT KNEE')).toBe(true);
    expect(siteMatches('knee', 'kneecap')).toBe(false);
    expect(siteMatches('left knee', 'knee left')).toBe(false);
    expect(siteMatches('knee', null)).toBe(false);
  });

  it('treats sites that differ only in case and punctuation as the same scope', () => {
    expect(sameScope({ site: 'Left  Knee', condition: null }, { site: 'left-knee', condition: null })).toBe(true);
    expect(sameScope({ site: 'knee', condition: null }, { site: 'knee', condition: 'fracture' })).toBe(false);
    expect(sameScope({ site: null, condition: null }, { site: null, condition: null })).toBe(true);
  });
});

describe('protocol definitions an admin writes', () => {
  it('reads ISO 8601 offsets of weeks, days, hours and minutes, and refuses months, years and empty ones', () => {
    expect(parseOffset('P3D')).toEqual({ days: 3 });
    expect(parseOffset('PT2H')).toEqual({ hours: 2 });
    expect(parseOffset('P2W')).toEqual({ days: 14 });
    expect(parseOffset('P1DT12H30M')).toEqual({ days: 1, hours: 12, minutes: 30 });
    for (const bad of ['P1M', 'P1Y', 'P', 'PT', '-P1D', 'P1.5D', '3 days']) expect(parseOffset(bad)).toBeNull();
  });

  it('names the field of every problem: unknown kind, negative offset, bad time, duplicate key, misplaced booking fields', () => {
    const problems = protocolProblems({
      ...BMAC_STANDARD,
      condition: 'headache',
      steps: [
        { key: 'a', kind: 'phone_call' as never, offset: { days: 1 } },
        { key: 'b', kind: 'checkin', offset: { days: -1 } },
        { key: 'c', kind: 'checkin', offset: { days: 1 }, at: '9:00' },
        { key: 'a', kind: 'checkin', offset: { days: 2 } },
        { key: 'd', kind: 'checkin', offset: { days: 2 }, bookAheadDays: 3 },
        { key: 'e', kind: 'checkin', offset: { days: 800 } },
        { key: 'Bad Key', kind: 'checkin', offset: { days: 1 } },
      ],
    });
    expect(problems.map((x) => x.field)).toEqual([
      'condition',
      'steps.0.kind',
      'steps.1.offset.days',
      'steps.2.at',
      'steps.3.key',
      'steps.4.bookAheadDays',
      'steps.5.offset',
      'steps.6.key',
    ]);
    for (const problem of problems) expect(problem.message.startsWith(problem.field)).toBe(true);
  });
});
