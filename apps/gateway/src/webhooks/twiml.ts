const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** TwiML that answers an incoming SMS with `reply`, or with nothing when it is null. */
export function twimlReply(reply: string | null): string {
  if (reply === null || reply === '') return `${XML_DECLARATION}<Response/>`;
  return `${XML_DECLARATION}<Response><Message>${escapeXml(reply)}</Message></Response>`;
}
