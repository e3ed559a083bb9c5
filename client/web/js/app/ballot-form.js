// The ballot as a form: one fieldset per confidence row (the levels as radio
// buttons plus an explicit "leave blank"), one per single-choice question (a
// motion: the options, and "blank" where the manifest allows it), one per
// k-of-n question (checkboxes, min..max enforced, with a live counter).
//
// Nothing is preselected: every row must be answered, if only by "leave blank",
// so no row is left blank by accident. selections() gives the crypto facade's
// format (docs: notes/js-api.md): confidence → [level index | null],
// single → index | null, multiple → [indices].

import { announce, el } from './dom.js';
import { setLocalized, setText } from './i18n.js';

const BLANK = 'blank';

function initialAnswer(q) {
  if (q.kind === 'confidence') return q.rows.map(() => undefined);
  if (q.kind === 'single') return undefined;
  return new Set();
}

function radio({ name, value, testid, label, blank = false, checked, onPick }) {
  const input = el('input', { type: 'radio', name, value, 'data-testid': testid });
  input.checked = checked;
  input.addEventListener('change', () => { if (input.checked) onPick(); });
  const text = el('span');
  if (blank) setText(text, 'ballot.leaveBlank');
  else setLocalized(text, label);
  return el('label', { class: blank ? 'choice blank' : 'choice' }, input, text);
}

export class BallotForm {
  /** Render `questions` (the manifest's, wire form) into `container`. */
  constructor(container, questions) {
    this.container = container;
    this.questions = questions;
    this.answers = questions.map(initialAnswer);
    this.errors = new Map(); // fieldset → error paragraph
    this.render();
  }

  render() {
    this.container.replaceChildren(...this.questions.map((q, i) => this.renderQuestion(q, i)));
  }

  fieldset(testid, legendText, errorId, { hideLegend = false } = {}) {
    const title = setLocalized(el('span', { class: hideLegend ? 'visually-hidden' : null }), legendText);
    const legend = el('legend', {}, title);
    const error = el('p', { class: 'row-error', id: errorId, hidden: true, 'data-testid': `${testid}-error` });
    const set = el('fieldset', { 'data-testid': testid }, legend);
    this.errors.set(set, error);
    return set;
  }

  renderQuestion(q, qi) {
    const headingId = `q-${q.id}-title`;
    const section = el('section', {
      class: 'question', 'aria-labelledby': headingId, 'data-testid': `question-${q.id}`,
    });
    section.append(setLocalized(el('h2', { id: headingId }), q.title));
    if (q.kind === 'confidence') {
      section.append(el('p', { class: 'field-hint', i18n: 'ballot.confidenceHint' }));
      q.rows.forEach((row, ri) => {
        const testid = `row-${q.id}-${row.id}`;
        const set = this.fieldset(testid, row.label, `err-${q.id}-${row.id}`);
        const name = `${q.id}--${row.id}`;
        const choices = el('div', { class: 'choices' });
        q.options.forEach((opt, oi) => choices.append(radio({
          name, value: String(oi), testid: `choice-${q.id}-${row.id}-${opt.id}`, label: opt.label,
          checked: this.answers[qi][ri] === oi,
          onPick: () => { this.answers[qi][ri] = oi; this.clearError(set); },
        })));
        choices.append(radio({
          name, value: BLANK, testid: `choice-${q.id}-${row.id}-${BLANK}`, blank: true,
          checked: this.answers[qi][ri] === null,
          onPick: () => { this.answers[qi][ri] = null; this.clearError(set); },
        }));
        set.append(choices, this.errors.get(set));
        section.append(set);
      });
    } else if (q.kind === 'single') {
      const set = this.fieldset(`choices-${q.id}`, q.title, `err-${q.id}`, { hideLegend: true });
      const choices = el('div', { class: 'choices' });
      q.options.forEach((opt, oi) => choices.append(radio({
        name: q.id, value: String(oi), testid: `choice-${q.id}-${opt.id}`, label: opt.label,
        checked: this.answers[qi] === oi,
        onPick: () => { this.answers[qi] = oi; this.clearError(set); },
      })));
      if (q.blank) {
        choices.append(radio({
          name: q.id, value: BLANK, testid: `choice-${q.id}-${BLANK}`, blank: true,
          checked: this.answers[qi] === null,
          onPick: () => { this.answers[qi] = null; this.clearError(set); },
        }));
      }
      set.append(choices, this.errors.get(set));
      section.append(set);
    } else {
      const set = this.fieldset(`choices-${q.id}`, q.title, `err-${q.id}`, { hideLegend: true });
      const counterId = `counter-${q.id}`;
      set.setAttribute('aria-describedby', counterId);
      set.querySelector('legend').append(this.limitText(q));
      const counter = el('p', {
        class: 'choice-counter', id: counterId, 'aria-live': 'polite', 'data-testid': counterId,
      });
      const chosen = this.answers[qi];
      const choices = el('div', { class: 'choices' });
      q.options.forEach((opt, oi) => {
        const box = el('input', {
          type: 'checkbox', name: q.id, value: String(oi), 'data-testid': `choice-${q.id}-${opt.id}`,
        });
        box.checked = chosen.has(oi);
        box.addEventListener('change', () => {
          if (box.checked && chosen.size >= q.max_choices) {
            box.checked = false; // the limit is enforced, and said
            announce('ballot.tooMany', { max: q.max_choices });
            this.showError(set, 'ballot.tooMany', { max: q.max_choices });
            return;
          }
          if (box.checked) chosen.add(oi);
          else chosen.delete(oi);
          this.clearError(set);
          this.updateCounter(counter, q, chosen.size);
        });
        choices.append(el('label', { class: 'choice' }, box, setLocalized(el('span'), opt.label)));
      });
      this.updateCounter(counter, q, chosen.size);
      set.append(choices, counter, this.errors.get(set));
      section.append(set);
    }
    return section;
  }

  limitText(q) {
    const span = el('span', { class: 'limits' });
    if (q.min_choices === q.max_choices) return setText(span, 'ballot.chooseExactly', { n: q.max_choices });
    return setText(span, 'ballot.chooseBetween', { min: q.min_choices, max: q.max_choices });
  }

  updateCounter(counter, q, n) {
    setText(counter, 'ballot.counter', { n, max: q.max_choices });
  }

  showError(set, key, args) {
    const error = this.errors.get(set);
    setText(error, key, args);
    error.hidden = false;
    set.setAttribute('aria-invalid', 'true');
    const described = new Set((set.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean));
    described.add(error.id);
    set.setAttribute('aria-describedby', [...described].join(' '));
  }

  clearError(set) {
    const error = this.errors.get(set);
    if (!error || error.hidden) return;
    error.hidden = true;
    set.removeAttribute('aria-invalid');
    const described = (set.getAttribute('aria-describedby') ?? '').split(' ')
      .filter((id) => id && id !== error.id);
    if (described.length) set.setAttribute('aria-describedby', described.join(' '));
    else set.removeAttribute('aria-describedby');
  }

  /** Mark every unanswered row or out-of-range choice; the problems, in order. */
  validate() {
    const problems = [];
    const sets = [...this.errors.keys()];
    let k = 0;
    this.questions.forEach((q, qi) => {
      if (q.kind === 'confidence') {
        q.rows.forEach((row, ri) => {
          const set = sets[k++];
          if (this.answers[qi][ri] === undefined) {
            this.showError(set, 'ballot.rowMissing');
            problems.push(set);
          }
        });
      } else if (q.kind === 'single') {
        const set = sets[k++];
        if (this.answers[qi] === undefined) {
          this.showError(set, q.blank ? 'ballot.singleMissingBlank' : 'ballot.singleMissing');
          problems.push(set);
        }
      } else {
        const set = sets[k++];
        const n = this.answers[qi].size;
        if (n < q.min_choices || n > q.max_choices) {
          this.showError(set, 'ballot.outOfRange', { min: q.min_choices, max: q.max_choices, n });
          problems.push(set);
        }
      }
    });
    return problems;
  }

  /** The selections in the facade's format (call after validate() found nothing). */
  selections() {
    return this.questions.map((q, qi) => {
      const a = this.answers[qi];
      if (q.kind === 'confidence') return a.map((v) => (v === undefined ? null : v));
      if (q.kind === 'single') return a === undefined ? null : a;
      return [...a].sort((x, y) => x - y);
    });
  }
}

/** A review list (<dl>) of `selections` for `questions`: what the voter chose. */
export function reviewList(questions, selections, testid = 'review-list') {
  const list = el('dl', { class: 'review-list', 'data-testid': testid });
  questions.forEach((q, qi) => {
    const chosen = selections[qi];
    const label = (i) => setLocalized(el('span'), q.options[i].label);
    const blank = () => setText(el('span', { class: 'muted' }), 'ballot.leftBlank');
    if (q.kind === 'confidence') {
      list.append(setLocalized(el('dt', { class: 'question-title' }), q.title));
      q.rows.forEach((row, ri) => {
        list.append(setLocalized(el('dt'), row.label));
        list.append(el('dd', { 'data-testid': `review-${q.id}-${row.id}` },
          chosen[ri] === null ? blank() : label(chosen[ri])));
      });
    } else if (q.kind === 'single') {
      list.append(setLocalized(el('dt'), q.title));
      list.append(el('dd', { 'data-testid': `review-${q.id}` }, chosen === null ? blank() : label(chosen)));
    } else {
      list.append(setLocalized(el('dt'), q.title));
      const dd = el('dd', { 'data-testid': `review-${q.id}` });
      if (chosen.length === 0) dd.append(setText(el('span', { class: 'muted' }), 'ballot.noneChosen'));
      chosen.forEach((i, n) => { if (n) dd.append(', '); dd.append(label(i)); });
      list.append(dd);
    }
  });
  return list;
}
