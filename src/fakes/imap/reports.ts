/**
 * Reports as they land in a reporting mailbox, built as real MIME (nodemailer's composer): a user
 * forwards a suspicious message as an attachment (`message/rfc822`), as Outlook's "Report" button
 * and most mail clients' "forward as attachment" do. Fixed dates and Message-IDs: time is data.
 */
import MailComposer from 'nodemailer/lib/mail-composer';

export interface SuspiciousMessage {
  from: string;
  replyTo?: string;
  to: string[];
  subject: string;
  messageId: string;
  date: Date;
  /** Received by the recipient's server at (the newest Received header). */
  receivedAt?: Date;
  html?: string;
  text?: string;
  attachments?: Array<{ filename: string; content: string | Buffer; contentType: string }>;
}

/** The suspicious message itself, as its recipient's mailbox holds it. */
export function suspiciousMessage(m: SuspiciousMessage): Promise<Buffer> {
  return new MailComposer({
    from: m.from,
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    to: m.to,
    subject: m.subject,
    messageId: m.messageId,
    date: m.date,
    ...(m.text ? { text: m.text } : {}),
    ...(m.html ? { html: m.html } : {}),
    ...(m.receivedAt ? { headers: { Received: `from mx.attacker.example (mx.attacker.example [198.51.100.23]) by mx.example.com; ${m.receivedAt.toUTCString()}` } } : {}),
    attachments: m.attachments ?? [],
  })
    .compile()
    .build();
}

export interface Report {
  /** Who reports (the report's From). */
  reporter: string;
  reporterName?: string;
  /** The reporting mailbox. */
  to: string;
  messageId: string;
  date: Date;
  subject?: string;
  text?: string;
  /** The reported message, attached as message/rfc822; absent: a plain report (a forward in the body, or a Defender subject). */
  original?: Buffer;
}

export function reportMessage(r: Report): Promise<Buffer> {
  return new MailComposer({
    from: r.reporterName ? { name: r.reporterName, address: r.reporter } : r.reporter,
    to: r.to,
    subject: r.subject ?? 'Suspicious message',
    messageId: r.messageId,
    date: r.date,
    text: r.text ?? 'I think this message is phishing.',
    attachments: r.original ? [{ filename: 'suspicious.eml', content: r.original, contentType: 'message/rfc822', contentDisposition: 'attachment' }] : [],
  })
    .compile()
    .build();
}
