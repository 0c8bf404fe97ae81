// Form fields bound to a path in a JSON draft ("widget.title"), so the site editor is a list
// of field descriptions rather than a page of hand-wired inputs.

import type { ChangeEvent } from 'react';

type Json = Record<string, unknown>;

export function getPath(obj: Json, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

/** Returns a copy of obj with path set to value (undefined removes the key). */
export function setPath<T extends Json>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const key = head ?? '';
  const copy: Json = { ...obj };
  if (rest.length === 0) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
  } else {
    const child = typeof copy[key] === 'object' && copy[key] !== null ? (copy[key] as Json) : {};
    copy[key] = setPath(child, rest.join('.'), value);
  }
  return copy as T;
}

export type Kind = 'text' | 'url' | 'number' | 'lines' | 'select' | 'check' | 'color' | 'pairs';

export interface FieldDef {
  path: string;
  label: string;
  kind: Kind;
  hint?: string;
  options?: Array<[string, string]>;
  required?: boolean;
  placeholder?: string;
}

/** "key=value" lines ↔ an object of strings. */
export function pairsToText(v: unknown): string {
  if (typeof v !== 'object' || v === null) return '';
  return Object.entries(v as Json)
    .map(([k, val]) => `${k}=${String(val)}`)
    .join('\n');
}

export function textToPairs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of s.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** One line per item; blank lines dropped. */
export const textToLines = (s: string) =>
  s
    .split('\n')
    .map((x) => x.trim())
    .filter((x) => x !== '');

const HEX6 = /^#[0-9a-f]{6}$/i;

export function Field({ def, draft, onChange }: { def: FieldDef; draft: Json; onChange: (path: string, value: unknown) => void }) {
  const id = `f-${def.path.replace(/\./g, '-')}`;
  const value = getPath(draft, def.path);
  const hintId = def.hint ? `${id}-hint` : undefined;
  const common = { id, 'aria-describedby': hintId, required: def.required, placeholder: def.placeholder };
  const set = (v: unknown) => onChange(def.path, v);
  let input;
  switch (def.kind) {
    case 'check':
      return (
        <div className="field check">
          <input type="checkbox" id={id} aria-describedby={hintId} checked={value === true} onChange={(e) => set(e.target.checked)} />
          <label htmlFor={id}>{def.label}</label>
          {def.hint && <p id={hintId} className="hint">{def.hint}</p>}
        </div>
      );
    case 'number':
      input = (
        <input
          {...common}
          type="number"
          inputMode="numeric"
          value={typeof value === 'number' ? String(value) : ''}
          onChange={(e) => set(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      );
      break;
    case 'lines':
      input = (
        <textarea
          {...common}
          rows={3}
          value={Array.isArray(value) ? value.join('\n') : ''}
          onChange={(e: ChangeEvent<HTMLTextAreaElement>) => set(textToLines(e.target.value))}
        />
      );
      break;
    case 'pairs':
      input = <textarea {...common} rows={3} value={pairsToText(value)} onChange={(e) => set(textToPairs(e.target.value))} />;
      break;
    case 'select':
      input = (
        <select {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)}>
          {(def.options ?? []).map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      );
      break;
    case 'color': {
      const text = typeof value === 'string' ? value : '';
      input = (
        <span className="color-input">
          <input
            type="color"
            aria-label={`${def.label}: colour picker`}
            value={HEX6.test(text) ? text : HEX6.test(def.placeholder ?? '') ? def.placeholder : '#000000'}
            onChange={(e) => set(e.target.value)}
          />
          <input {...common} type="text" value={text} spellCheck={false} onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)} />
        </span>
      );
      break;
    }
    default:
      input = (
        <input
          {...common}
          type={def.kind === 'url' ? 'url' : 'text'}
          spellCheck={def.kind === 'url' ? false : undefined}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => set(e.target.value)}
        />
      );
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {def.label}
        {def.required && <span aria-hidden="true"> *</span>}
      </label>
      {input}
      {def.hint && (
        <p id={hintId} className="hint">
          {def.hint}
        </p>
      )}
    </div>
  );
}
