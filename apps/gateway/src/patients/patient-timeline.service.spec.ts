import { describe, expect, it } from '@jest/globals';
import type { TimelineEntry } from '@aftercare/contracts';
import { mergeTimeline } from './patient-timeline.service.js';

const entry = (at: string, type: TimelineEntry['type'], data: unknown = null): TimelineEntry => ({ at, type, data });

describe('mergeTimeline', () => {
  it('puts the entries of every service in time order, comparing instants, not strings', () => {
    const merged = mergeTimeline([
      [entry('2030-01-02T10:00:00-05:00', 'appointment')], // 15:00Z
      [entry('2030-01-02T14:00:00Z', 'care_plan_step'), entry('2030-01-03T09:00:00Z', 'follow_up_item')],
      [entry('2030-01-02T16:00:00+01:00', 'message')], // 15:00Z, same instant as the appointment
    ]);
    expect(merged.map((e) => e.type)).toEqual(['care_plan_step', 'appointment', 'message', 'follow_up_item']);
  });
});
