/** TEST ONLY: captures the mail the digest agent sends (in place of the EMAIL binding). */
import type { Mail, MailSender } from "../../src/agents/digest/mail";

export const mailbox = {
  sent: [] as Mail[],
  /** Make the next N sends throw, as a refused send_email call would. */
  failNext: 0,
};

export const captureMail: MailSender = async (mail) => {
  if (mailbox.failNext > 0) {
    mailbox.failNext--;
    throw new Error("send_email refused (test)");
  }
  mailbox.sent.push(mail);
};
