import { rm } from 'node:fs/promises';

/** Each run of the fault suite reports only its own scenarios (report.ts writes test-artifacts/faults/). */
export default async function globalSetup() {
  await rm(new URL('../../../test-artifacts/faults', import.meta.url), { recursive: true, force: true });
}
