import { EmailMessage } from "cloudflare:email";
import { createMimeMessage } from "mimetext";

/** One outgoing mail: envelope addresses and the raw RFC 5322 message. */
export type Mail = { readonly from: string; readonly to: string; readonly raw: string };

/** How mail leaves the Worker. Tests pass a capturing sender; production uses the EMAIL binding. */
export type MailSender = (mail: Mail, env: Env) => Promise<void>;

/** Sends through the `[[send_email]] name = "EMAIL"` binding. */
export const bindingSender: MailSender = async (mail, env) => {
  await env.EMAIL.send(new EmailMessage(mail.from, mail.to, mail.raw));
};

/** A plain-text message, composed with mimetext (headers encoded, a Message-ID added). */
export function composeMail(input: { from: { name: string; addr: string }; to: string; subject: string; text: string }): Mail {
  const message = createMimeMessage();
  message.setSender(input.from);
  message.setRecipient(input.to);
  message.setSubject(input.subject);
  message.addMessage({ contentType: "text/plain", data: input.text });
  return { from: input.from.addr, to: input.to, raw: message.asRaw() };
}
