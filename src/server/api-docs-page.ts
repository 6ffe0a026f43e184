/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Escapes text, then shows its `backticked` words as code, as the summaries are written. */
export function proseHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

type Json = Record<string, unknown>;

const style = `
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1f24}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ccd}code,pre{font-family:ui-monospace,monospace;font-size:.9em}
pre{background:#f4f5f7;padding:.6rem;overflow:auto;border-radius:4px}details{border:1px solid #dde;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}summary:focus-visible{outline:3px solid #2b6cb0}.m{display:inline-block;min-width:4.2rem;font-weight:700}
.GET{color:#1a7f37}.POST{color:#0550ae}.PUT{color:#8250df}.DELETE{color:#cf222e}table{border-collapse:collapse}td,th{padding:.2rem .5rem;border:1px solid #dde;text-align:left}
`;

/**
 * A browsable reference of the OpenAPI document: plain HTML, no script (every value escaped),
 * one expandable entry per operation, grouped by tag.
 */
export function renderApiDocs(doc: Json): string {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0] ?? 'other';
      const params = ((op.parameters as Json[] | undefined) ?? [])
        .map((p) => `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${escapeHtml(JSON.stringify(p.schema))}</code></td></tr>`)
        .join('');
      const body = op.requestBody ? `<h4>Request body</h4><pre>${escapeHtml(JSON.stringify((op.requestBody as Json).content, null, 2))}</pre>` : '';
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
        .map(([status, r]) => `<li><b>${escapeHtml(status)}</b> ${proseHtml(String(r.description ?? ''))}${r.content && status !== 'default' ? `<pre>${escapeHtml(JSON.stringify(r.content, null, 2))}</pre>` : ''}</li>`)
        .join('');
      const m = method.toUpperCase();
      const entry = `<details id="${escapeHtml(String(op.operationId))}"><summary><span class="m ${m}">${m}</span> <code>${escapeHtml(path)}</code> — ${proseHtml(String(op.summary ?? ''))}</summary>
<p>${proseHtml(String(op.description ?? '')).replace(/\n\n/g, '</p><p>')}</p>
${params ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${params}</table>` : ''}${body}<h4>Responses</h4><ul>${responses}</ul></details>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
    }
  }
  const info = (doc.info ?? {}) as Json;
  const sections = [...byTag].map(([tag, entries]) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${entries.join('\n')}`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>API reference · Holdout</title><style>${style}</style></head><body><main>
<h1>${escapeHtml(String(info.title ?? 'API'))} <small>${escapeHtml(String(info.version ?? ''))}</small></h1>
<p>${proseHtml(String(info.description ?? ''))}</p><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1) · <a href="/">back to the app</a></p>
<nav aria-label="Sections"><ul>${[...byTag.keys()].map((t) => `<li><a href="#tag-${escapeHtml(t)}">${escapeHtml(t)}</a></li>`).join('')}</ul></nav>
${sections}</main></body></html>`;
}
