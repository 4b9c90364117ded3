import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { OutcomeSummaryQueryDto } from './outcomes.dto.js';

/** As the gateway's global pipe validates a query: unknown fields refused. */
async function problems(query: Record<string, unknown>): Promise<string[]> {
  const errors = await validate(plainToInstance(OutcomeSummaryQueryDto, query), { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  return errors.map((e) => e.property);
}

describe('GET /api/outcomes/summary query', () => {
  it('takes a clinician, a protocol code and a period with offsets, all optional', async () => {
    expect(await problems({})).toEqual([]);
    expect(
      await problems({ clinicianId: '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f', protocol: 'bmac-standard', from: '2026-03-01T00:00:00-05:00', to: '2026-04-01T00:00:00Z' }),
    ).toEqual([]);
  });

  it('names the field it refuses', async () => {
    expect(await problems({ clinicianId: 'dr-chen' })).toEqual(['clinicianId']);
    expect(await problems({ protocol: 'BMAC Standard' })).toEqual(['protocol']);
    expect(await problems({ protocol: '' })).toEqual(['protocol']);
    expect(await problems({ from: '2026-03-01' })).toEqual(['from']); // a bare date has no zone
    expect(await problems({ to: 'tomorrow' })).toEqual(['to']);
    expect(await problems({ site: 'knee' })).toEqual(['site']);
  });
});
