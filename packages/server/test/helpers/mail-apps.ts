import { afterAll, beforeAll } from 'vitest';
import { createTestApp, type TestApp } from './app.js';
import type { useTestDatabase } from './db.js';
import { type SmtpReceiver, startSmtpReceiver } from './smtp.js';

/** Where the mail apps say they are served: the links they mail or hand over start with it. */
export const MAIL_PUBLIC_URL = 'http://127.0.0.1:7420';

/**
 * Two production apps on the file's database, for the flows that mail a link (invitations,
 * password resets): `t` sends through the SMTP receiver `smtp`; `noMail` has no mail server, so
 * its links are handed over instead. The handles are filled before the file's tests and closed
 * after them.
 */
export function useMailApps(db: ReturnType<typeof useTestDatabase>) {
  const smtp = {} as SmtpReceiver;
  const t = {} as TestApp;
  const noMail = {} as TestApp;
  beforeAll(async () => {
    Object.assign(smtp, await startSmtpReceiver());
    Object.assign(
      t,
      await createTestApp(db.database, {
        mode: 'production',
        publicUrl: MAIL_PUBLIC_URL,
        mail: { smtpUrl: smtp.url, from: 'Latchkey <latch@example.com>' },
      }),
    );
    Object.assign(
      noMail,
      await createTestApp(db.database, { mode: 'production', publicUrl: MAIL_PUBLIC_URL }),
    );
  });
  afterAll(async () => {
    await t.app?.close();
    await noMail.app?.close();
    await smtp.close?.();
  });
  return { smtp, t, noMail };
}
