import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

// html: false escapes raw HTML in the source; DOMPurify then removes anything active that the
// Markdown itself could produce (javascript: links, event handlers): two independent layers.
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

/** Renders a host's (or the rules') Markdown into a sanitised fragment: no script can run from it. */
export function renderMarkdown(source: string): DocumentFragment {
  const html = md.render(source);
  const clean = DOMPurify.sanitize(html, { RETURN_DOM_FRAGMENT: true, FORBID_TAGS: ['style', 'form', 'input'], FORBID_ATTR: ['style'] });
  for (const a of clean.querySelectorAll('a')) {
    a.setAttribute('rel', 'noopener noreferrer nofollow');
    if (/^https?:/i.test(a.getAttribute('href') ?? '')) a.setAttribute('target', '_blank');
  }
  return clean;
}
