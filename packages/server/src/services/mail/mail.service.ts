import { AppError, redactTokens } from '@latchkey/core';
import nodemailer from 'nodemailer';
import type { MailConfig } from '../../config.js';

export type MailMessage = { to: string; subject: string; text: string };

/** Sends the few messages Latchkey sends (links). Null when no SMTP server is configured. */
export type Mailer = { send(message: MailMessage): Promise<void>; close(): void };

// A mail server that hangs must not hold an HTTP request (and the inviter) for minutes.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export function createMailer(config: MailConfig | null | undefined): Mailer | null {
  if (!config) return null;
  const transport = nodemailer.createTransport({ url: config.smtpUrl, ...TIMEOUTS });
  return {
    async send(message) {
      try {
        await transport.sendMail({ from: config.from, ...message });
      } catch (err) {
        // The SMTP server's answer may quote the message (with its link): keep tokens out of it.
        throw new AppError('SERVICE_UNAVAILABLE', 'The mail server did not accept the message.', {
          hint: 'Check LATCH_SMTP_URL and that the mail server is reachable, then try again.',
          cause: new Error(redactTokens((err as Error).message)),
        });
      }
    },
    close: () => transport.close(),
  };
}
