// Turning a mail body into what the model should read: plain text, without the quoted
// history and signature every mail client appends. Pure string functions, each linear
// in its input (regexes are anchored per line or have no nested quantifiers).

/** The model reads at most this much of one mail; the rest is cut with a marker. */
export const MAX_EMAIL_TEXT_CHARS = 16_000;

/** A line that starts quoted history: everything from it on is dropped. */
const HISTORY_STARTS: readonly RegExp[] = [
  /^-{2,}\s*Original Message\s*-{2,}\s*$/i, // Outlook
  /^-{2,}\s*Forwarded message\s*-{2,}\s*$/i,
  /^_{10,}\s*$/, // Outlook's rule above its From:/Sent: block
  /^Begin forwarded message:\s*$/i, // Apple Mail
];

/** A line that starts a signature: everything from it on is dropped. */
const SIGNATURE_STARTS: readonly RegExp[] = [
  /^-- ?$/, // RFC 3676 delimiter ("-- "), often stripped to "--"
  /^Sent from my (iPhone|iPad|Android|Samsung|Galaxy|mobile|BlackBerry)\b.*$/i,
  /^Sent from (Mail|Outlook) for (Windows|iOS|Android|Mac)\b.*$/i,
  /^Sent from Yahoo Mail\b.*$/i,
  /^Get Outlook for (iOS|Android)\s*$/i,
  /^Sent with Proton Mail\b.*$/i,
];

/** "On <date>, <someone> wrote:", which clients wrap onto two lines when it is long. */
function isAttribution(line: string, nextLine: string | undefined): boolean {
  if (/^On .{1,300} wrote:\s*$/i.test(line)) return true;
  if (/^On .{1,300}$/i.test(line) && nextLine !== undefined && /^.{0,300}wrote:\s*$/i.test(nextLine)) return true;
  // German/French/Spanish clients say the same thing.
  return /^(Am|Le|El) .{1,300} (schrieb|a écrit|escribió)\s?.{0,200}:\s*$/i.test(line);
}

/** Outlook without the dashed rule: "From: ..." followed closely by "Sent:" or "Date:". */
function isOutlookHeaderBlock(lines: readonly string[], i: number): boolean {
  if (!/^\*?From:\*? .+/i.test(lines[i] ?? "")) return false;
  return lines.slice(i + 1, i + 4).some((l) => /^\*?(Sent|Date):\*? .+/i.test(l));
}

/** The new text of a reply: no quoted history, no `>` lines, no signature. */
export function stripQuotedAndSignature(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const bare = line.trimEnd();
    if (HISTORY_STARTS.some((re) => re.test(bare.trim()))) break;
    if (SIGNATURE_STARTS.some((re) => re.test(bare))) break;
    if (isAttribution(bare.trim(), lines[i + 1]?.trim())) break;
    if (isOutlookHeaderBlock(lines, i)) break;
    if (/^\s*>/.test(line)) continue; // interleaved quotes
    kept.push(bare);
  }
  return tidy(kept.join("\n"));
}

const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * HTML mail as readable text: no markup, scripts or styles; blocks become lines;
 * quoted history (`<blockquote>`, Gmail's `gmail_quote`) is dropped before the text is built.
 */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(head|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<blockquote\b[\s\S]*?<\/blockquote\s*>/gi, "")
    .replace(/<div[^>]*class="[^"]*gmail_quote[^"]*"[^>]*>[\s\S]*$/i, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/(p|div|h[1-6]|tr|table|ul|ol|li|pre)\s*>/gi, "\n")
    .replace(/<(p|div|h[1-6]|tr|table|ul|ol|pre)\b[^>]*>/gi, "\n")
    .replace(/<\/t[dh]\s*>/gi, "\t")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (whole, name: string) => decodeEntity(name) ?? whole);
  return tidy(text.replace(/[ \t\u00a0]+\n/g, "\n").replace(/[ \t\u00a0]{2,}/g, " "));
}

function decodeEntity(name: string): string | undefined {
  if (name[0] === "#") {
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return ENTITIES[name.toLowerCase()];
}

/** Trims every line's end, collapses runs of blank lines, trims the whole. */
function tidy(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Cuts text to a budget with a marker saying how much was left out. */
export function truncate(text: string, max = MAX_EMAIL_TEXT_CHARS): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[... ${text.length - max} more characters not shown]`;
}

export type AttachmentInfo = { readonly filename: string; readonly mimeType: string; readonly bytes: number };

/** Attachments are listed for the model, never inlined. */
/** At most this many attachments are listed, names cut to MAX_ATTACHMENT_NAME: the list lands in one event row. */
export const MAX_LISTED_ATTACHMENTS = 50;
const MAX_ATTACHMENT_NAME = 200;

export function describeAttachments(attachments: readonly AttachmentInfo[]): string {
  if (attachments.length === 0) return "";
  const clip = (text: string) => (text.length > MAX_ATTACHMENT_NAME ? `${text.slice(0, MAX_ATTACHMENT_NAME)}...` : text);
  const lines = attachments.slice(0, MAX_LISTED_ATTACHMENTS).map((a) => `- ${clip(a.filename)} (${clip(a.mimeType)}, ${formatBytes(a.bytes)})`);
  if (attachments.length > MAX_LISTED_ATTACHMENTS) lines.push(`- ... and ${attachments.length - MAX_LISTED_ATTACHMENTS} more`);
  return `Attachments (not included):\n${lines.join("\n")}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
