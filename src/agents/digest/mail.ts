import { createMimeMessage } from "mimetext";
import { outboundMessageId } from "../../channels/email/message-id";
import type { OutboundEmail } from "../../channels/email/send";

/** The digest as a plain-text mail, composed with mimetext; it goes out through the same sender as every thread mail. */
export function composeMail(input: {
  from: { name: string; addr: string };
  to: string;
  subject: string;
  text: string;
  threadId: string;
  domain: string;
}): OutboundEmail {
  const messageId = outboundMessageId(input.threadId, 0, crypto.randomUUID().replaceAll("-", ""), input.domain);
  const message = createMimeMessage();
  message.setSender(input.from);
  message.setRecipient(input.to);
  message.setSubject(input.subject);
  message.setHeader("Message-ID", messageId);
  message.setHeader("X-Agent-Thread", input.threadId);
  message.addMessage({ contentType: "text/plain", data: input.text });
  return { from: input.from.addr, to: input.to, raw: message.asRaw(), messageId };
}
