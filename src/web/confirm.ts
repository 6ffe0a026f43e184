import { h } from './dom.js';

export interface ConfirmOptions {
  /** The question, naming what changes and for whom. */
  question: string;
  /** The label of the button that does it, e.g. "Yes, reveal". */
  yes: string;
  /** Runs when the question is answered no (e.g. to put a select back). */
  onNo?: () => void;
}

/**
 * Asks before an action that is hard to take back (revealing scores, re-running everything,
 * disqualifying, changing a role). In the page rather than window.confirm: it is styled, read by
 * screen readers as an alert, and a test can answer it like any other button.
 */
export function askFirst(anchor: HTMLElement, opts: ConfirmOptions, action: () => void): void {
  anchor.parentElement?.querySelector(':scope > .confirm')?.remove();
  const box = h('span', { class: 'confirm', role: 'alert' });
  const close = () => {
    box.remove();
    anchor.hidden = false;
  };
  box.append(
    h('span', null, `${opts.question} `),
    h('button', { type: 'button', onclick: () => (close(), action()) }, opts.yes),
    ' ',
    h('button', { type: 'button', class: 'secondary', onclick: () => (close(), opts.onNo?.()) }, 'No, keep it as it is'),
  );
  anchor.hidden = true;
  anchor.after(box);
  (box.querySelector('button') as HTMLButtonElement).focus();
}

/** A button that asks {@link askFirst} before it acts. */
export function confirmButton(label: string, opts: ConfirmOptions, action: () => void, cls = 'secondary'): HTMLButtonElement {
  const button: HTMLButtonElement = h('button', { type: 'button', class: cls, onclick: () => askFirst(button, opts, action) }, label);
  return button;
}
