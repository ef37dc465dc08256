// Renders trace and span input/output safely. Everything here is untrusted text from the
// traced application: it is only ever rendered as React text nodes, never as HTML.
import { useState } from 'react'
import { ChevronDown, ChevronRight } from 'lucide-react'
import { Button } from '@/components/ui/button'
import { cn } from '@/lib/cn'

export interface ChatMessage {
  role: string
  content: string
  name?: string
  extra?: unknown
}

const FOLD_CHARS = 1200
const FOLD_LINES = 24

/** parseJSON returns the value a string holds when it is a JSON object or array. */
export function parseJSON(s: string): { ok: true; value: unknown } | { ok: false } {
  const t = s.trim()
  if (!(t.startsWith('{') && t.endsWith('}')) && !(t.startsWith('[') && t.endsWith(']'))) return { ok: false }
  try {
    return { ok: true, value: JSON.parse(t) }
  } catch {
    return { ok: false }
  }
}

function contentText(c: unknown): string | null {
  if (typeof c === 'string') return c
  if (c === null || c === undefined) return ''
  // OpenAI / Anthropic content parts: [{type: "text", text: "…"}, …]
  if (Array.isArray(c)) {
    const parts = c.map((p) => {
      if (typeof p === 'string') return p
      if (p && typeof p === 'object' && 'text' in p && typeof (p as { text: unknown }).text === 'string') return (p as { text: string }).text
      return null
    })
    if (parts.every((p) => p !== null)) return parts.join('\n')
  }
  return null
}

/**
 * asChat recognises a conversation: an array of {role, content} messages, or an object with
 * such a `messages` array (the shape of chat completion requests).
 */
export function asChat(v: unknown): ChatMessage[] | null {
  let list: unknown = v
  if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as { messages?: unknown }).messages)) {
    list = (v as { messages: unknown[] }).messages
  }
  if (!Array.isArray(list) || list.length === 0) return null
  const out: ChatMessage[] = []
  for (const m of list) {
    if (!m || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string') return null
    const { role, content, name, ...rest } = m as { role: string; content?: unknown; name?: unknown }
    const text = contentText(content)
    const extra = Object.keys(rest).length > 0 ? rest : text === null ? content : undefined
    out.push({ role, content: text ?? '', name: typeof name === 'string' ? name : undefined, extra })
  }
  return out
}

/** FoldedText shows long text folded, with a button to see all of it. */
export function FoldedText({ text, className }: { text: string; className?: string }) {
  const lines = text.split('\n')
  const long = text.length > FOLD_CHARS || lines.length > FOLD_LINES
  const [open, setOpen] = useState(false)
  let shown = text
  if (long && !open) {
    shown = lines.slice(0, FOLD_LINES).join('\n')
    if (shown.length > FOLD_CHARS) shown = shown.slice(0, FOLD_CHARS)
    shown += '…'
  }
  return (
    <div className={className}>
      <pre data-testid="content-text" className="font-mono text-xs leading-relaxed break-words whitespace-pre-wrap">
        {shown}
      </pre>
      {long && (
        <Button variant="link" size="sm" className="h-auto px-0" onClick={() => setOpen(!open)} data-testid="content-fold-toggle">
          {open ? 'Show less' : `Show all (${text.length.toLocaleString('en-US')} characters)`}
        </Button>
      )}
    </div>
  )
}

function JsonPrimitive({ v }: { v: unknown }) {
  if (v === null) return <span className="text-muted-foreground">null</span>
  if (typeof v === 'string') {
    if (v.length > 200 || v.includes('\n')) return <FoldedText text={v} className="inline-block w-full text-emerald-700 dark:text-emerald-400" />
    return <span className="break-words text-emerald-700 dark:text-emerald-400">"{v}"</span>
  }
  if (typeof v === 'number') return <span className="text-sky-700 dark:text-sky-400">{String(v)}</span>
  if (typeof v === 'boolean') return <span className="text-violet-700 dark:text-violet-400">{String(v)}</span>
  return <span>{String(v)}</span>
}

/** JsonNode renders a JSON value as a tree whose objects and arrays collapse. */
export function JsonNode({ name, value, depth = 0 }: { name?: string; value: unknown; depth?: number }) {
  const isObj = value !== null && typeof value === 'object'
  const [open, setOpen] = useState(depth < 2)
  const label = name !== undefined && <span className="text-foreground/80">{name}: </span>
  if (!isObj) {
    return (
      <div className="pl-4 font-mono text-xs leading-relaxed">
        {label}
        <JsonPrimitive v={value} />
      </div>
    )
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>)
  const [o, c] = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  return (
    <div className="font-mono text-xs leading-relaxed">
      <button
        type="button"
        className="inline-flex cursor-pointer items-center rounded-sm hover:bg-accent focus-visible:ring-2 focus-visible:ring-ring/50 focus-visible:outline-none"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        data-testid="json-toggle"
      >
        {open ? <ChevronDown className="size-3" aria-hidden="true" /> : <ChevronRight className="size-3" aria-hidden="true" />}
        {label}
        <span className="text-muted-foreground">
          {o}
          {!open && ` ${entries.length} ${Array.isArray(value) ? 'items' : 'keys'} ${c}`}
        </span>
      </button>
      {open && (
        <div className="border-l border-border/70 pl-2">
          {entries.map(([k, v]) => (
            <JsonNode key={k} name={k} value={v} depth={depth + 1} />
          ))}
          <span className="pl-2 text-muted-foreground">{c}</span>
        </div>
      )}
    </div>
  )
}

const roleStyle: Record<string, string> = {
  user: 'bg-primary/10 border-primary/25 ml-6',
  assistant: 'bg-muted border-border mr-6',
  system: 'bg-warning/10 border-warning/30',
  tool: 'bg-accent border-border mr-6',
}

/** ChatView shows messages as a conversation. */
export function ChatView({ messages }: { messages: ChatMessage[] }) {
  return (
    <ol className="grid gap-2" data-testid="content-chat">
      {messages.map((m, i) => (
        <li key={i} className={cn('rounded-lg border p-3', roleStyle[m.role] ?? 'bg-card')} data-testid="chat-message" data-role={m.role}>
          <div className="mb-1 text-xs font-semibold tracking-wide text-muted-foreground uppercase">
            {m.role}
            {m.name && <span className="ml-1 font-normal normal-case">({m.name})</span>}
          </div>
          {m.content && <FoldedText text={m.content} />}
          {m.extra !== undefined && <JsonNode value={m.extra} />}
        </li>
      ))}
    </ol>
  )
}

/** Content picks the best view of a payload: conversation, JSON tree or (folded) text. */
export function Content({ value, testId, empty = 'Nothing recorded' }: { value: string | null | undefined; testId?: string; empty?: string }) {
  if (value === null || value === undefined || value === '') {
    return (
      <p className="text-sm text-muted-foreground italic" data-testid={testId}>
        {empty}
      </p>
    )
  }
  const parsed = parseJSON(value)
  if (parsed.ok) {
    const chat = asChat(parsed.value)
    return <div data-testid={testId}>{chat ? <ChatView messages={chat} /> : <div data-testid="content-json"><JsonNode value={parsed.value} /></div>}</div>
  }
  return (
    <div data-testid={testId}>
      <FoldedText text={value} />
    </div>
  )
}

/** JsonValue renders an already-decoded value (attributes, metadata) or a dash when empty. */
export function JsonValue({ value, testId }: { value: unknown; testId?: string }) {
  const empty =
    value === null ||
    value === undefined ||
    (typeof value === 'object' && Object.keys(value as object).length === 0)
  if (empty) return <p className="text-sm text-muted-foreground italic" data-testid={testId}>None</p>
  return (
    <div data-testid={testId}>
      <JsonNode value={value} />
    </div>
  )
}
