import { QUEUE_OWNERS, QUEUES, type QueueHealthResource, type QueueName } from '@aftercare/contracts';

export type QueueOwner = QueueHealthResource['service'];

/** What one owning service answered: its queues' counts, or why there are none. */
export type OwnerAnswer = QueueHealthResource[] | { error: string };

/** The services that own a queue, each asked once. */
export const QUEUE_OWNING_SERVICES: readonly QueueOwner[] = [...new Set(Object.values(QUEUE_OWNERS))];

/**
 * Every queue of the system, in the order QUEUES declares them, from what each owner answered.
 * A queue whose owner did not answer (or did not report it) is still listed, with null counts
 * and the reason: the page shows what is known instead of failing as a whole.
 */
export function queueHealthTable(answers: ReadonlyMap<QueueOwner, OwnerAnswer>): QueueHealthResource[] {
  return Object.values(QUEUES).map((name) => {
    const service = QUEUE_OWNERS[name];
    const answer = answers.get(service);
    const found = Array.isArray(answer) ? answer.find((q) => q.name === name) : undefined;
    if (found) return { ...found, name, service };
    const error = answer && !Array.isArray(answer) ? answer.error : `The ${service} service did not report this queue`;
    return { name, service, waiting: null, delayed: null, active: null, failed: null, completed: null, paused: null, error };
  });
}

/** A queue by its name as listed ('{care-plan-steps}'), or without the braces ('care-plan-steps'). */
export function queueNamed(name: string): QueueName | null {
  const wanted = name.trim();
  return Object.values(QUEUES).find((q) => q === wanted || q === `{${wanted}}`) ?? null;
}
