import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { ListFollowUpsQueryDto, PutEscalationRulesDto } from '../../follow-ups/follow-ups.dto.js';
import { createValidationPipe } from './validation.pipe.js';

/** The gateway's global pipe, as Nest calls it for a route's query and body. */
describe('the validation pipe', () => {
  const pipe = createValidationPipe();
  const query = (value: Record<string, unknown>) => pipe.transform(value, { type: 'query', metatype: ListFollowUpsQueryDto, data: '' });

  it('reads a query parameter given empty (?clinicianId=&kind=, as the contract writes routes) as one not given', async () => {
    const parsed = await query({ clinicianId: '', kind: 'attention', state: '' });
    expect(parsed).toBeInstanceOf(ListFollowUpsQueryDto);
    expect({ ...(parsed as object) }).toEqual({ kind: 'attention' });
    expect({ ...((await query({ kind: ['', 'attention'] })) as object) }).toEqual({ kind: 'attention' });
  });

  it('still refuses a bad non-empty value, naming the parameter, and an unknown one', async () => {
    await expect(query({ clinicianId: 'not-an-id' })).rejects.toThrow(BadRequestException);
    await expect(query({ clinicianId: 'not-an-id' })).rejects.toMatchObject({ response: expect.objectContaining({ field: 'clinicianId' }) });
    await expect(query({ clinician: '' })).resolves.toBeInstanceOf(ListFollowUpsQueryDto); // empty, so not given at all
    await expect(query({ clinician: 'x' })).rejects.toMatchObject({ response: expect.objectContaining({ field: 'clinician' }) });
  });

  it('leaves a body as it came: an empty string there is a value to check', async () => {
    await expect(pipe.transform({ highScore: '' }, { type: 'body', metatype: PutEscalationRulesDto, data: '' })).rejects.toMatchObject({
      response: expect.objectContaining({ field: 'highScore' }),
    });
  });
});
