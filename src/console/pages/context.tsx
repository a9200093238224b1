/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import type { ModelInput } from "../../core";
import { Layout, StackTable } from "./layout";

// Factor 3 in the console: what the next model step would see, and what it would not.
// The budget (tokens against the agent's limit, and the tokenizer) and one row per range
// of the log: shown in full, summarised, or omitted and why. Then the messages themselves.

export const ContextPage: FC<{ who: string; threadId: string; input: ModelInput }> = ({ who, threadId, input }) => (
  <Layout title={`${threadId} · context`} nav="threads" who={who}>
    <h1>
      Context of <a href={`/console/threads/${threadId}`}>{threadId}</a>
    </h1>
    <p id="context-budget">
      <strong>{input.budget.tokens}</strong> of {input.budget.limit} tokens ({input.budget.tokenizer}) · prompt <code>{input.promptVersion}</code> · rendered from event #{input.seenSeq}
    </p>
    <h2 id="sections-h">What the model sees of the log</h2>
    <StackTable
      id="context-sections"
      columns={["Events", "Shown as", "Why"]}
      rows={input.sections.map((s) => ({
        cells: [s.fromSeq === s.toSeq ? `#${s.fromSeq}` : `#${s.fromSeq}–#${s.toSeq}`, s.as, s.reason],
        attrs: { class: `section-${s.as}` },
      }))}
    />
    <h2 id="messages-h">Messages</h2>
    {input.messages.map((m) => (
      <section aria-label={`${m.role} message`}>
        <h3>{m.role}</h3>
        <pre>{m.content}</pre>
      </section>
    ))}
  </Layout>
);
