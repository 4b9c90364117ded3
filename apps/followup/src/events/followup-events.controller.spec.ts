import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { EVENT_SUBSCRIBERS, eventPattern, type EventType } from '@aftercare/contracts';
import { FollowupEventsController } from './followup-events.controller.js';

/** The message patterns a controller's handlers listen on. */
function patternsOf(controller: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(controller.prototype).flatMap((name) => {
    const handler = (controller.prototype as Record<string, unknown>)[name];
    return typeof handler === 'function' ? ((Reflect.getMetadata(PATTERN_METADATA, handler) as string[] | undefined) ?? []) : [];
  });
}

describe('FollowupEventsController', () => {
  it('handles every event that followup subscribes to (an unhandled one stalls its producer)', () => {
    const subscribed = (Object.keys(EVENT_SUBSCRIBERS) as EventType[]).filter((type) => EVENT_SUBSCRIBERS[type].includes('followup'));
    expect(subscribed).toEqual(expect.arrayContaining(['appointment.booked', 'appointment.rescheduled', 'appointment.cancelled', 'appointment.no-show']));
    expect(patternsOf(FollowupEventsController).sort()).toEqual(subscribed.map((type) => eventPattern('followup', type)).sort());
  });
});
