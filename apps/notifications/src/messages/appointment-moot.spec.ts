import { describe, expect, it } from '@jest/globals';
import { appointmentSequenceOf, isOfAnOlderSequence } from './appointment-moot.js';

describe('the appointment sequence a message was written for', () => {
  const id = '5b0e7f5e-8f0c-4c39-9d7e-0d8d3f0c1a2b';

  it('is read from the dedupe key or the cause', () => {
    expect(appointmentSequenceOf(`appointment:${id}:reminder-48h:0:sms`)).toBe(0);
    expect(appointmentSequenceOf(`appointment:${id}:reminder-2h:3:email`)).toBe(3);
    expect(appointmentSequenceOf(`appointment:${id}:confirmation:12`)).toBe(12);
    expect(appointmentSequenceOf(`step:${id}:sms`)).toBeNull();
    expect(appointmentSequenceOf(null)).toBeNull();
  });

  it('makes a reminder or confirmation of an older sequence out of date, not a cancellation or one without a sequence', () => {
    expect(isOfAnOlderSequence('reminder', `appointment:${id}:reminder-2h:0:sms`, 1)).toBe(true);
    expect(isOfAnOlderSequence('reminder', `appointment:${id}:reminder-2h:1:sms`, 1)).toBe(false);
    expect(isOfAnOlderSequence('booking_confirmation', `appointment:${id}:confirmation:0:email`, 2)).toBe(true);
    expect(isOfAnOlderSequence('cancellation', `appointment:${id}:cancelled:0:sms`, 1)).toBe(false);
    expect(isOfAnOlderSequence('checkin', `step:${id}:sms`, 1)).toBe(false);
  });
});
