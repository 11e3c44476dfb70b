/**
 * KnownBlock Kit limits, and `fitMessage`, which makes any list of blocks fit them: text is cut
 * with "…", lists lose their tail to an "…and N more", so Slack never answers invalid_blocks.
 */
import type {
  ActionsBlock,
  ActionsBlockElement,
  Button,
  ConfirmationDialog,
  ContextBlock,
  ImageBlock,
  KnownBlock,
  PlainTextElement,
  PlainTextOption,
  SectionBlock,
  SectionBlockAccessory,
  StaticSelect,
  TextObject,
} from '@slack/types';
import { andMore, truncate } from './mrkdwn.ts';

export const LIMITS = Object.freeze({
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  imageAltText: 2000,
  imageTitle: 2000,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  placeholder: 150,
  /** Slack truncates the top-level `text` beyond this. */
  messageText: 40000,
});

function fitPlain(text: PlainTextElement, max: number): PlainTextElement {
  const value = text.text.length === 0 ? ' ' : truncate(text.text, max);
  return value === text.text ? text : { ...text, text: value };
}

function fitText(text: TextObject, max: number): TextObject {
  if (text.type === 'plain_text') return fitPlain(text, max);
  const value = text.text.length === 0 ? ' ' : truncate(text.text, max);
  return value === text.text ? text : { ...text, text: value };
}

function fitId(id: string, max: number): string {
  return id.length <= max ? id : id.slice(0, max);
}

function fitConfirm(c: ConfirmationDialog): ConfirmationDialog {
  const out: ConfirmationDialog = { ...c, text: fitText(c.text, LIMITS.confirmText) };
  if (c.title) out.title = fitPlain(c.title, LIMITS.confirmTitle);
  if (c.confirm) out.confirm = fitPlain(c.confirm, LIMITS.confirmButton);
  if (c.deny) out.deny = fitPlain(c.deny, LIMITS.confirmButton);
  return out;
}

function fitButton(b: Button): Button {
  const out: Button = { ...b, text: fitPlain(b.text, LIMITS.buttonText) };
  if (b.action_id !== undefined) out.action_id = fitId(b.action_id, LIMITS.actionId);
  if (b.value !== undefined) out.value = fitId(b.value, LIMITS.buttonValue);
  if (b.url !== undefined) out.url = fitId(b.url, LIMITS.buttonUrl);
  if (b.confirm) out.confirm = fitConfirm(b.confirm);
  return out;
}

function fitOption(o: PlainTextOption): PlainTextOption {
  const out: PlainTextOption = { text: fitPlain(o.text, LIMITS.optionText) };
  if (o.value !== undefined) out.value = fitId(o.value, LIMITS.optionValue);
  return out;
}

function fitSelect(s: StaticSelect): StaticSelect {
  const out: StaticSelect = { ...s };
  if (s.action_id !== undefined) out.action_id = fitId(s.action_id, LIMITS.actionId);
  if (s.options) out.options = s.options.slice(0, LIMITS.selectOptions).map(fitOption);
  if (s.placeholder) out.placeholder = fitPlain(s.placeholder, LIMITS.placeholder);
  if (s.initial_option) out.initial_option = fitOption(s.initial_option);
  return out;
}

/** Buttons and static selects fitted; the bot draws no other element, and passes any other through. */
function fitElement<E extends ActionsBlockElement | SectionBlockAccessory>(e: E): E {
  if (e.type === 'button') return fitButton(e) as E;
  if (e.type === 'static_select') return fitSelect(e) as E;
  return e;
}

function fitSection(b: SectionBlock): SectionBlock {
  const out: SectionBlock = { ...b };
  if (b.text) out.text = fitText(b.text, LIMITS.sectionText);
  if (b.fields) {
    let fields = b.fields;
    if (fields.length > LIMITS.sectionFields) {
      const kept = fields.slice(0, LIMITS.sectionFields - 1);
      fields = [...kept, { type: 'mrkdwn', text: `_${andMore(fields.length - kept.length)}_` }];
    }
    out.fields = fields.map((f) => fitText(f, LIMITS.fieldText));
  }
  if (b.accessory) out.accessory = fitElement(b.accessory);
  return out;
}

function fitContext(b: ContextBlock): ContextBlock {
  let elements = b.elements;
  if (elements.length > LIMITS.contextElements) {
    const kept = elements.slice(0, LIMITS.contextElements - 1);
    elements = [...kept, { type: 'mrkdwn', text: `_${andMore(elements.length - kept.length)}_` }];
  }
  return {
    ...b,
    elements: elements.map((e) =>
      e.type === 'image'
        ? { ...e, alt_text: truncate(e.alt_text, LIMITS.imageAltText) }
        : fitText(e, LIMITS.contextText),
    ),
  };
}

function fitActions(b: ActionsBlock): ActionsBlock {
  return { ...b, elements: b.elements.slice(0, LIMITS.actionsElements).map(fitElement) };
}

function fitImage(b: ImageBlock): ImageBlock {
  const out: ImageBlock = { ...b, alt_text: truncate(b.alt_text, LIMITS.imageAltText) };
  if (b.title) out.title = fitPlain(b.title, LIMITS.imageTitle);
  return out;
}

function fitBlock(block: KnownBlock): KnownBlock {
  let out: KnownBlock;
  switch (block.type) {
    case 'header':
      out = { ...block, text: fitPlain(block.text, LIMITS.headerText) };
      break;
    case 'section':
      out = fitSection(block);
      break;
    case 'context':
      out = fitContext(block);
      break;
    case 'actions':
      out = fitActions(block);
      break;
    case 'image':
      out = fitImage(block);
      break;
    default:
      out = { ...block };
  }
  if (out.block_id !== undefined) out.block_id = fitId(out.block_id, LIMITS.blockId);
  return out;
}

/** Keep every actions block (the buttons) and as many others as fit, in order, plus a note. */
function fitBlockCount(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= LIMITS.blocksPerMessage) return blocks;
  const actions = blocks.filter((b) => b.type === 'actions').slice(0, LIMITS.blocksPerMessage - 1);
  const quota = Math.max(0, LIMITS.blocksPerMessage - 1 - actions.length);
  const others = blocks.length - blocks.filter((b) => b.type === 'actions').length;
  const note: ContextBlock = {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `_${andMore(others - quota)} (message too long for Slack)_` }],
  };
  const out: KnownBlock[] = [];
  let kept = 0;
  let noteAt = 0;
  for (const block of blocks) {
    if (block.type === 'actions') {
      if (actions.includes(block)) out.push(block);
    } else if (kept < quota) {
      out.push(block);
      kept++;
      noteAt = out.length;
    }
  }
  out.splice(noteAt, 0, note);
  return out;
}

/** Blocks that Slack accepts: every Block Kit limit enforced by truncation, never by rejection. */
export function fitMessage(blocks: readonly KnownBlock[]): KnownBlock[] {
  return fitBlockCount(blocks.map(fitBlock));
}

function checkText(where: string, text: TextObject | undefined, max: number, out: string[]): void {
  if (!text) return;
  if (text.text.length === 0) out.push(`${where}: empty text`);
  if (text.text.length > max) out.push(`${where}: text ${text.text.length} > ${max}`);
}

function checkElement(where: string, e: ActionsBlockElement | SectionBlockAccessory, out: string[]): void {
  const actionId = 'action_id' in e ? (e.action_id ?? '') : '';
  if (actionId.length > LIMITS.actionId) out.push(`${where}: action_id ${actionId.length}`);
  if (e.type === 'button') {
    checkText(`${where}.text`, e.text, LIMITS.buttonText, out);
    if ((e.value?.length ?? 0) > LIMITS.buttonValue) out.push(`${where}: value ${e.value?.length}`);
    if (e.confirm) {
      checkText(`${where}.confirm.title`, e.confirm.title, LIMITS.confirmTitle, out);
      checkText(`${where}.confirm.text`, e.confirm.text, LIMITS.confirmText, out);
      checkText(`${where}.confirm.confirm`, e.confirm.confirm, LIMITS.confirmButton, out);
      checkText(`${where}.confirm.deny`, e.confirm.deny, LIMITS.confirmButton, out);
    }
  } else if (e.type === 'static_select' && (e.options?.length ?? 0) > LIMITS.selectOptions) {
    out.push(`${where}: ${e.options?.length} options`);
  }
}

/** Every Block Kit limit the blocks break, as readable strings; empty when Slack would accept them. */
export function findViolations(blocks: readonly KnownBlock[]): string[] {
  const out: string[] = [];
  if (blocks.length > LIMITS.blocksPerMessage)
    out.push(`${blocks.length} blocks > ${LIMITS.blocksPerMessage}`);
  const actionIds = new Set<string>();
  blocks.forEach((block, i) => {
    const where = `blocks[${i}] ${block.type}`;
    if ((block.block_id?.length ?? 0) > LIMITS.blockId) out.push(`${where}: block_id too long`);
    switch (block.type) {
      case 'header':
        checkText(where, block.text, LIMITS.headerText, out);
        if (block.text.type !== 'plain_text') out.push(`${where}: header text must be plain_text`);
        break;
      case 'section':
        if (!block.text && !block.fields) out.push(`${where}: neither text nor fields`);
        checkText(where, block.text, LIMITS.sectionText, out);
        if ((block.fields?.length ?? 0) > LIMITS.sectionFields) out.push(`${where}: too many fields`);
        for (const f of block.fields ?? []) checkText(`${where}.field`, f, LIMITS.fieldText, out);
        if (block.accessory) checkElement(`${where}.accessory`, block.accessory, out);
        break;
      case 'context':
        if (block.elements.length > LIMITS.contextElements) out.push(`${where}: too many elements`);
        if (block.elements.length === 0) out.push(`${where}: no elements`);
        for (const e of block.elements) if (e.type !== 'image') checkText(where, e, LIMITS.contextText, out);
        break;
      case 'actions':
        if (block.elements.length > LIMITS.actionsElements) out.push(`${where}: too many elements`);
        block.elements.forEach((e, j) => {
          checkElement(`${where}.elements[${j}]`, e, out);
          const actionId = e.action_id ?? '';
          if (actionIds.has(actionId)) out.push(`${where}: duplicate action_id ${actionId}`);
          actionIds.add(actionId);
        });
        break;
      default:
        break;
    }
  });
  return out;
}
