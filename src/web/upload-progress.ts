import type { Upload } from './api.js';
import { h } from './dom.js';

/**
 * One upload at a time from a form: its submit button is disabled while a file is on its way (a
 * double click must not submit twice and spend two quota slots), progress shows in percent, and
 * "Cancel upload" stops it before the server creates anything.
 */
export class UploadProgress {
  readonly element: HTMLElement;
  private current: Upload<unknown> | null = null;
  private readonly bar = h('progress', { max: 1, value: 0, 'aria-label': 'Upload progress' });
  private readonly percent = h('span', { class: 'muted' });

  constructor(private readonly button: HTMLButtonElement) {
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => this.current?.cancel() }, 'Cancel upload');
    this.element = h('div', { class: 'upload-progress', hidden: true }, this.bar, this.percent, cancel);
  }

  get busy(): boolean {
    return this.current !== null;
  }

  /** Starts an upload unless one is running (then undefined); settles when it ends either way. */
  run<T>(start: (onProgress: (fraction: number) => void) => Upload<T>): Promise<T> | undefined {
    if (this.current) return undefined;
    const upload = start((f) => {
      this.bar.value = f;
      this.percent.textContent = f >= 1 ? ' sent; the server is checking it…' : ` ${Math.floor(f * 100)} % sent`;
    });
    this.current = upload;
    this.button.disabled = true;
    this.bar.value = 0;
    this.percent.textContent = ' 0 % sent';
    this.element.hidden = false;
    const finish = () => {
      this.current = null;
      this.button.disabled = false;
      this.element.hidden = true;
    };
    return upload.done.finally(finish);
  }
}
