import { describe, expect, it } from '@jest/globals';
import { formatRequirements, numberOrText, parseCodeList, parseRequirements, toCode } from './clinic-setup';

describe('codes', () => {
  it('turns what an admin types into a code', () => {
    expect(toCode(' Procedure room ')).toBe('procedure_room');
    expect(toCode('x-ray')).toBe('x_ray');
  });

  it('reads a list of features', () => {
    expect(parseCodeList('ultrasound, Doppler, ultrasound')).toEqual({ ok: true, value: ['ultrasound', 'doppler'] });
    expect(parseCodeList('')).toEqual({ ok: true, value: [] });
    expect(parseCodeList('3d')).toEqual({ ok: false, error: '"3d" is not a feature code: use a-z, 0-9 and _, starting with a letter' });
  });
});

describe('requirements', () => {
  it('round-trips one requirement a line', () => {
    const requires = [{ category: 'procedure_room', features: ['ultrasound'] }, { category: 'centrifuge' }];
    expect(formatRequirements(requires)).toBe('procedure_room: ultrasound\ncentrifuge');
    expect(parseRequirements('procedure_room: ultrasound\n\n Centrifuge \n')).toEqual({ ok: true, value: requires });
    expect(parseRequirements('')).toEqual({ ok: true, value: [] });
  });

  it('names the bad line', () => {
    expect(parseRequirements('centrifuge\nroom: a: b')).toEqual({ ok: false, error: 'line 2: write "category: feature, feature"' });
    expect(parseRequirements('9room')).toEqual({ ok: false, error: 'line 1: "9room" is not a category code such as procedure_room' });
  });
});

describe('numberOrText', () => {
  it('sends whole numbers as numbers and anything else as typed, for the API to name', () => {
    expect(numberOrText(' 45 ')).toBe(45);
    expect(numberOrText('45.5')).toBe('45.5');
    expect(numberOrText('')).toBe('');
  });
});
