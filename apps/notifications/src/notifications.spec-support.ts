import type { Queue } from 'bullmq';
import type { Clock } from '@aftercare/clock';
import type { AppConfig } from '@aftercare/config';
import type { Db } from '@aftercare/database';
import { JobScheduler } from '@aftercare/jobs';
import { ActivityCounter, Inbox, OutboxWriter, type MessagingOptions, type OutboxRelay } from '@aftercare/messaging';
import { ConsentService } from './consent/consent.service.js';
import { notificationsMessaging } from './database/schema.js';
import { FallbackService } from './delivery/fallback.service.js';
import { DirectoryService } from './directory/directory.service.js';
import { NotificationsEventsController } from './events/notifications-events.controller.js';
import { InboundSmsService } from './inbound/inbound-sms.service.js';
import { AppointmentMessagesService } from './messages/appointment-messages.service.js';
import { MessagesService } from './messages/messages.service.js';
import { TemplatesService } from './templates/templates.service.js';
import { WaitlistOffersService } from './waitlist/waitlist-offers.service.js';

/**
 * Test support (not a test, not built): notifications' services wired by hand on a real
 * database, as Nest would wire them, for the integration specs. One place to change when a
 * constructor does. The queue records what would be added or removed; the relay is never kicked.
 */

/** What the services ask of BullMQ, recorded. */
export class RecordingQueue {
  readonly added: { name: string; data: unknown; opts: { jobId?: string; delay?: number } }[] = [];
  readonly removed: string[] = [];
  async addBulk(jobs: { name: string; data: unknown; opts: { jobId?: string; delay?: number } }[]) {
    this.added.push(...jobs);
    return [];
  }
  async remove(id: string) {
    this.removed.push(id);
    return 1;
  }
}

export interface NotificationsWiring {
  outbox: OutboxWriter;
  directory: DirectoryService;
  templates: TemplatesService;
  messages: MessagesService;
  appointmentMessages: AppointmentMessagesService;
  waitlist: WaitlistOffersService;
  controller: NotificationsEventsController;
  inbound: InboundSmsService;
  consent: ConsentService;
  fallback: FallbackService;
}

export function wireNotifications(db: Db, clock: Clock, config: AppConfig, queue: RecordingQueue): NotificationsWiring {
  const options: MessagingOptions = { service: 'notifications', tables: notificationsMessaging };
  const outbox = new OutboxWriter(options, clock, { written: () => undefined } as unknown as OutboxRelay);
  const directory = new DirectoryService(db);
  const templates = new TemplatesService(db, clock, directory);
  const messages = new MessagesService(db, config, queue as unknown as Queue, clock, new JobScheduler(clock), directory, templates);
  const appointmentMessages = new AppointmentMessagesService(config, clock, directory, messages);
  const waitlist = new WaitlistOffersService(db, clock, outbox, messages);
  return {
    outbox,
    directory,
    templates,
    messages,
    appointmentMessages,
    waitlist,
    controller: new NotificationsEventsController(new Inbox(db, options, new ActivityCounter()), directory, messages, appointmentMessages, waitlist),
    inbound: new InboundSmsService(db, clock, directory, outbox, messages, waitlist, templates),
    consent: new ConsentService(db, clock, directory, outbox),
    fallback: new FallbackService(clock, directory, messages, outbox),
  };
}
