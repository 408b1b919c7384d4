/**
 * What a page's long main-thread tasks were made of, from a Chromium trace (devtools.timeline
 * categories) and a V8 CPU profile taken over the same span: per task over 50 ms, its self time by
 * trace event (script, style, layout, paint, GC, ...) and the JavaScript functions sampled inside
 * it. Trace timestamps and the profile's are both the browser's monotonic clock in microseconds.
 */

/** The trace categories the summary needs. */
export const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink.user_timing'];

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of a complete event, us: what it cost whether or not the thread was waiting for a core. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { functionName?: string; url?: string; lineNumber?: number }; beginData?: { dirtyObjects?: number; totalObjects?: number } };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface LongTask {
  startMs: number;
  ms: number;
  /** Self time by trace event name (FunctionCall includes the script it ran), ms, largest first. */
  parts: { name: string; ms: number }[];
  /** JavaScript self time by function (sampled), ms, largest first. */
  js: { fn: string; ms: number }[];
  /** Each layout in the task: objects laid out of those on the page. */
  layouts: { dirty: number; total: number }[];
}

const top = (m: Map<string, number>, n: number) =>
  [...m]
    .map(([name, us]) => ({ name, ms: us / 1000 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);

/** The complete events of the busiest renderer main thread, in time order (enclosing events first). */
function mainThreadEvents(traceEvents: TraceEvent[]): TraceEvent[] {
  const mains = traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  let best: TraceEvent[] = [];
  for (const m of mains) {
    const events = traceEvents.filter((e) => e.ph === 'X' && e.pid === m.pid && e.tid === m.tid && e.dur !== undefined);
    if (events.length > best.length) best = events;
  }
  return best.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
}

/**
 * Every main-thread task of the trace: its wall time (what a long-task observer sees) and its
 * thread CPU time (tdur), ms. On a machine that other processes load, a task waits for a core
 * and its wall time grows with the load; its CPU time is the page's own work.
 */
export function mainThreadTasks(traceEvents: TraceEvent[]): { wallMs: number; cpuMs: number }[] {
  const tasks: { wallMs: number; cpuMs: number }[] = [];
  let end = -Infinity;
  for (const e of mainThreadEvents(traceEvents)) {
    // Top-level tasks only (a nested run loop's tasks are inside one).
    if ((e.name !== 'RunTask' && e.name !== 'ThreadControllerImpl::RunTask') || e.ts < end) continue;
    end = e.ts + e.dur!;
    tasks.push({ wallMs: e.dur! / 1000, cpuMs: (e.tdur ?? NaN) / 1000 });
  }
  return tasks;
}

/** The long tasks (over `overMs`) on the busiest renderer main thread of the trace. */
export function longTasks(traceEvents: TraceEvent[], profile: CpuProfile | null, overMs = 50): LongTask[] {
  const best = mainThreadEvents(traceEvents);
  const samples = sampleTimes(profile);
  const tasks: LongTask[] = [];
  for (let i = 0; i < best.length; i++) {
    const task = best[i];
    if (task.name !== 'RunTask' || (task.dur ?? 0) < overMs * 1000) continue;
    const end = task.ts + task.dur!;
    // Self time: each event's duration less that of the events directly inside it.
    const self = new Map<string, number>();
    const stack: { e: TraceEvent; child: number }[] = [];
    const close = (upTo: number) => {
      while (stack.length && stack[stack.length - 1].e.ts + stack[stack.length - 1].e.dur! <= upTo) {
        const { e, child } = stack.pop()!;
        const label = e.name === 'FunctionCall' && e.args?.data?.functionName ? `FunctionCall ${e.args.data.functionName}` : e.name;
        self.set(label, (self.get(label) ?? 0) + e.dur! - child);
        if (stack.length) stack[stack.length - 1].child += e.dur!;
      }
    };
    let j = i;
    for (; j < best.length && best[j].ts < end; j++) {
      close(best[j].ts);
      stack.push({ e: best[j], child: 0 });
    }
    close(Infinity);
    const layouts = best
      .slice(i, j)
      .filter((e) => e.name === 'Layout')
      .map((e) => ({ dirty: e.args?.beginData?.dirtyObjects ?? NaN, total: e.args?.beginData?.totalObjects ?? NaN }));
    const js = new Map<string, number>();
    for (const s of samples) if (s.ts >= task.ts && s.ts < end) js.set(s.fn, (js.get(s.fn) ?? 0) + s.us);
    tasks.push({ startMs: task.ts / 1000, ms: task.dur! / 1000, parts: top(self, 10), js: top(js, 12).map(({ name, ms }) => ({ fn: name, ms })), layouts });
    i = j - 1;
  }
  return tasks;
}

/** Each sample of the profile: when (monotonic us), its function, and the time it stands for. */
function sampleTimes(profile: CpuProfile | null): { ts: number; fn: string; us: number }[] {
  if (!profile?.samples || !profile.timeDeltas) return [];
  const fnOf = new Map<number, string>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    fnOf.set(n.id, `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`);
  }
  const out: { ts: number; fn: string; us: number }[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const next = profile.timeDeltas[i + 1] ?? 0;
    out.push({ ts: t, fn: fnOf.get(profile.samples[i]) ?? '?', us: next });
  }
  return out;
}

/** The summary in lines of text. */
export function describeLongTasks(tasks: LongTask[]): string[] {
  const lines: string[] = [];
  for (const t of tasks) {
    const laid = t.layouts.map((l) => `${l.dirty}/${l.total}`).join(', ');
    lines.push(`long task ${t.ms.toFixed(0)} ms: ${t.parts.map((p) => `${p.name} ${p.ms.toFixed(1)}`).join(', ')}${laid ? `; layout objects dirty/total: ${laid}` : ''}`);
    if (t.js.length) lines.push(`  js: ${t.js.map((f) => `${f.fn} ${f.ms.toFixed(1)}`).join('; ')}`);
  }
  return lines;
}
