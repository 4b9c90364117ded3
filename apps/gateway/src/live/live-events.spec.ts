import { describe, expect, it } from '@jest/globals';
import { eventText, parseLiveChanges, patientsFor } from './live-events.js';

const CLINIC = '0b0c2f4e-7a55-4a3f-9a4e-2f1d5c6b7a80';
const OTHER_CLINIC = '5d7e9f10-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
const P1 = '11111111-2222-4333-8444-555555555555';
const P2 = '66666666-7777-4888-9999-aaaaaaaaaaaa';

describe('parseLiveChanges', () => {
  it('keeps the ids of each change and nothing else', () => {
    const text = JSON.stringify({ changes: [{ clinicId: CLINIC, patientId: P1, extra: 'dropped' }] });
    expect(parseLiveChanges(text)).toEqual([{ clinicId: CLINIC, patientId: P1 }]);
    expect(parseLiveChanges('{"changes":[]}')).toEqual([]);
  });

  it('refuses what is not a list of changes, and skips changes without two ids', () => {
    expect(parseLiveChanges('not json')).toBeNull();
    expect(parseLiveChanges('null')).toBeNull();
    expect(parseLiveChanges('{"changes":"all"}')).toBeNull();
    expect(parseLiveChanges(JSON.stringify({ changes: [null, { clinicId: CLINIC }, { clinicId: CLINIC, patientId: 'Jane Doe' }, { clinicId: CLINIC, patientId: P2 }] }))).toEqual([
      { clinicId: CLINIC, patientId: P2 },
    ]);
  });
});

describe('patientsFor', () => {
  const changes = [
    { clinicId: CLINIC, patientId: P1 },
    { clinicId: CLINIC, patientId: P2 },
    { clinicId: OTHER_CLINIC, patientId: P1 },
  ];

  it("tells a clinic-wide stream about every patient of its clinic, once each, and nothing of another clinic's", () => {
    expect(patientsFor({ clinicId: CLINIC, patientId: null }, [...changes, { clinicId: CLINIC, patientId: P1 }])).toEqual([P1, P2]);
    expect(patientsFor({ clinicId: 'c-none', patientId: null }, changes)).toEqual([]);
  });

  it("tells a patient's stream about that patient only", () => {
    expect(patientsFor({ clinicId: CLINIC, patientId: P2 }, changes)).toEqual([P2]);
    expect(patientsFor({ clinicId: OTHER_CLINIC, patientId: P2 }, changes)).toEqual([]);
  });
});

describe('eventText', () => {
  it('frames one event: its name, one data line of JSON, a blank line', () => {
    expect(eventText('messages', { patientId: P1 })).toBe(`event: messages\ndata: {"patientId":"${P1}"}\n\n`);
  });
});
