import { describe, expect, it } from '@jest/globals';
import { asksToStop, parseSmsReply } from './sms-reply.parser.js';

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
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body, asksToStop: false });
    });

    it.each(['7.5', '7,5', 'pain 7.5'])(
      '%j is a decimal: free text, because rounding across the escalation threshold would be a guess',
      (body) => {
        expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body, asksToStop: false });
      },
    );

    it.each([
      'it was 3 yesterday but 9 today',
      '3 or 4',
      'between 5 and 6',
      '7 but it was 9 last night',
      'pain 7 when walking, 3 at rest',
    ])('%j has several numbers: free text for the clinician to read', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body, asksToStop: false });
    });
  });

  describe('free text', () => {
    it('keeps the trimmed original text, case and punctuation intact', () => {
      expect(parseSmsReply('  Can I shower tonight?  ')).toEqual({ kind: 'free_text', text: 'Can I shower tonight?', asksToStop: false });
    });

    it.each([
      'yes please',
      'C C',
      'the end',
      'confirmed for tuesday',
      'ok',
      '',
      'constructor', // not a member of Object.prototype either
      'toString',
      '__proto__',
    ])('%j is free text', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body.trim(), asksToStop: false });
    });

    it('treats an empty or whitespace-only body as empty free text', () => {
      expect(parseSmsReply('   ')).toEqual({ kind: 'free_text', text: '', asksToStop: false });
    });
  });

  describe('every keyword, in any case and with stray spaces', () => {
    const variants = (word: string): string[] => [word, word.toLowerCase(), word[0] + word.slice(1).toLowerCase(), `  ${word}  `, `\t${word.toLowerCase()}\n`, `${word}.`, `${word}!`];
    const KEYWORDS: [string, string][] = [
      ['C', 'confirm'],
      ['CONFIRM', 'confirm'],
      ['R', 'reschedule'],
      ['RESCHEDULE', 'reschedule'],
      ['YES', 'yes'],
      ['STOP', 'stop'],
      ['STOPALL', 'stop'],
      ['UNSUBSCRIBE', 'stop'],
      ['CANCEL', 'stop'],
      ['END', 'stop'],
      ['QUIT', 'stop'],
      ['OPTOUT', 'stop'],
      ['REVOKE', 'stop'],
      ['START', 'start'],
      ['UNSTOP', 'start'],
      ['HELP', 'help'],
      ['INFO', 'help'],
    ];
    it.each(KEYWORDS.flatMap(([word, kind]) => variants(word).map((v) => [v, kind] as const)))('%j is %s', (body, kind) => {
      expect(parseSmsReply(body)).toEqual({ kind });
    });

    it.each([
      ['STOP ALL', 'stop'],
      ['opt out', 'stop'],
      ['OPT-OUT', 'stop'],
      ['Un Stop', 'start'],
      ['stop all', 'stop'],
    ])('%j, two words, is %s', (body, kind) => {
      expect(parseSmsReply(body)).toEqual({ kind });
    });

    it.each([['0', 0], ['10', 10], [' 7/10 ', 7], ['PAIN 7', 7], ['pain   7', 7], ['Pain:7/10', 7]])('%j is pain %d', (body, score) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'pain', score });
    });
  });

  describe('free text that asks to stop', () => {
    it.each([
      'please stop texting me',
      "Don't text me anymore",
      'DONT TEXT ME',
      'do not message me again',
      'Stop sending me these messages!!',
      'stop the texts please',
      'No more texts please',
      'unsubscribe me from this',
      'Take me off your list',
      'I don’t want any more messages',
      'leave me alone',
      'Por favor dejen de enviarme mensajes',
      'No me envíen más mensajes',
      'no me escriban',
      'No quiero recibir más mensajes',
      'quiero darme de baja',
      'no más textos',
      'borren mi número',
    ])('%j asks to stop (free text for staff to confirm, no opt-out)', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body.trim(), asksToStop: true });
    });

    // Twilio opts a number out only on the exact keyword: these reach us as text, Twilio has not
    // opted the number out, and each must still hold SMS and reach staff.
    it.each([
      'please stop',
      'Please STOP!',
      'stop it',
      'stop it now',
      'STOP STOP',
      'stop stop stop',
      'stop please',
      'Stop, thank you',
      'STOP. Wrong number',
      'unsubscribe please',
      'Unsubscribe me please',
      'how do I unsubscribe?',
      'I want to opt out',
      'please opt me out',
      'remove me',
      'Remove me from this list',
      'remove my number please',
      'no more texts',
      'No more messages!',
      'no more text messages please',
      'stop calling and texting me',
      "don't call or text me",
      'I do not want to receive these texts',
      'stop getting these messages',
      'wrong number',
      'revoke please',
      'revoke my consent',
      // Spanish
      'para por favor',
      'Basta ya',
      'ya basta',
      'No me manden más mensajes',
      'Quítenme de la lista',
      'sáquenme de su lista',
      'ya no quiero mensajes',
      'Quiero cancelar la suscripción',
      'número equivocado',
      'dejen de mandarme textos',
    ])('%j asks to stop', (body) => {
      expect(parseSmsReply(body)).toEqual({ kind: 'free_text', text: body.trim(), asksToStop: true });
    });

    it.each([
      ["Please don't call me, just text", 'calls, not texts'],
      ['stop calling me, text instead', 'calls, not texts'],
      ["Don't call me at work", 'calls'],
      ['please stop calling me at work', 'calls'],
      ['Stop emailing me, texts are fine', 'e-mail, not texts'],
      ['unsubscribe me from the emails', 'e-mail'],
      ['no me llamen', 'calls (Spanish)'],
      ['No me llamen, mejor mándenme mensajes', 'calls, not texts (Spanish)'],
      ['dejen de llamarme por favor', 'calls (Spanish)'],
      ['cancel please', 'an appointment, most likely: CANCEL is a keyword only alone'],
      ['I quit smoking', 'QUIT is a keyword only alone'],
      ['end of the week works', 'END is a keyword only alone'],
      ['make it stop', 'the pain, most likely'],
      ['my knee pain does not stop', 'the pain'],
      ['alto', 'high: a pain answer in Spanish'],
      ['baja', 'low: a pain answer in Spanish'],
      ['¿Para qué es la cita?', 'a question'],
    ])('%j does not ask to stop SMS (%s)', (body) => {
      expect(asksToStop(body)).toBe(false);
    });

    it.each([
      'Can I stop the ice packs now?',
      'the pain will not stop',
      'When can I stop resting?',
      'I stopped taking the pills',
      'thanks for the texts, very helpful',
      'Can you text me the address?',
      'Please call me back',
      'No puedo dejar de pensar en la cita',
      'no me duele mucho',
      'the end',
    ])('%j does not', (body) => {
      expect(asksToStop(body)).toBe(false);
    });
  });
});
