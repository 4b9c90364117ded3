import { describe, expect, it } from '@jest/globals';
import { parseSmsReply } from './sms-reply.parser.js';

describe('parseSmsReply', () => {
  describe('opt-out keywords (the STOP family Twilio acts on)', () => {
    it.each([
      'STOP', 'stop', 'Stop.', '  stop  ', 'STOP!', 'StopAll', 'STOPALL', 'stop all', 'UNSUBSCRIBE',
      'cancel', 'END', 'quit', 'OPTOUT', 'opt out', 'Opt-Out', 'REVOKE', '"Stop"',
    ])('%j is stop', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'stop' });
    });
  });

  describe('opt-in keywords', () => {
    it.each(['START', 'start', ' Start! ', 'UNSTOP', 'subscribe'])('%j is start', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'start' });
    });

    it('does not treat YES as start: it is its own kind', () => {
      expect(parseSmsReply('YES')).toEqual({ kind: 'yes' });
    });
  });

  describe('help', () => {
    it.each(['HELP', 'help?', 'Info', 'INFO.', 'ayuda'])('%j is help', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'help' });
    });
  });

  describe('answers to a reminder', () => {
    it.each(['C', 'c', ' c ', 'C.', 'confirm', 'CONFIRM!'])('%j is confirm', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'confirm' });
    });

    it.each(['R', 'r', 'R!', 'reschedule', 'Reschedule.'])('%j is reschedule', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'reschedule' });
    });

    it.each(['YES', 'yes', 'YES!', 'Y', 'y.', 'Sí', 'si'])('%j is yes', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'yes' });
    });
  });

  describe('pain scores', () => {
    it.each<[string, number]>([
      ['0', 0],
      ['7', 7],
      ['10', 10],
      [' 7 ', 7],
      ['7.', 7],
      ['7!', 7],
      ['7/10', 7],
      ['7 / 10', 7],
      ['10/10', 10],
      ['pain 7', 7],
      ['Pain: 7', 7],
      ['PAIN:7', 7],
      ['pain is 7', 7],
      ['pain score 3', 3],
      ['pain level: 4/10', 4],
      ['7 out of 10', 7],
      ['7 of 10', 7],
      ['My pain is 7', 7],
      ['my pain is a 7.', 7],
      ['dolor 6', 6],
      ['6 de 10', 6],
      ['Mi dolor es 5', 5],
      ['０７', 7], // full-width digits from some phone keyboards
    ])('%j is pain %d', (body, score) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'pain', score });
    });

    it.each(['11', '-1', '15/10', 'pain 12', 'pain -1', '100'])('%j is out of range, so free text', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body });
    });

    it.each(['7.5', '7,5', 'pain 7.5'])(
      '%j is a decimal: free text, because rounding across the escalation threshold would be a guess',
      (body) => {
        expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body });
      },
    );

    it.each([
      'it was 3 yesterday but 9 today',
      '3 or 4',
      'between 5 and 6',
      '7 but it was 9 last night',
      'pain 7 when walking, 3 at rest',
    ])('%j has several numbers: free text for the clinician to read', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body });
    });
  });

  describe('free text', () => {
    it('keeps the trimmed original text, case and punctuation intact', () => {
      expect(parseSmsReply('  Can I shower tonight?  ')).toEqual({ kind: 'free_text', text: 'Can I shower tonight?' });
    });

    it.each([
      'please stop calling me at work', // a sentence containing STOP is not an opt-out
      'yes please',
      'C C',
      'stop it now',
      'the end',
      'confirmed for tuesday',
      'ok',
      '',
      'constructor', // not a member of Object.prototype either
      'toString',
      '__proto__',
    ])('%j is free text', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body.trim() });
    });

    it('treats an empty or whitespace-only body as empty free text', () => {
      expect(parseSmsReply('   ')).toEqual({ kind: 'free_text', text: '' });
    });
  });
});
