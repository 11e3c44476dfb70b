/**
 * The small part of Slack's Block Kit the bot renders: plain data, no Slack SDK types, so the
 * renderers stay pure and their output can be compared with golden files.
 */

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
  verbatim?: boolean;
}

export type TextObject = PlainText | MrkdwnText;

export interface ConfirmDialog {
  title: PlainText;
  text: TextObject;
  confirm: PlainText;
  deny: PlainText;
  style?: 'primary' | 'danger';
}

export interface ButtonElement {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: ConfirmDialog;
}

export interface SelectOption {
  text: PlainText;
  value: string;
}

export interface StaticSelectElement {
  type: 'static_select';
  action_id: string;
  placeholder?: PlainText;
  options: SelectOption[];
  initial_option?: SelectOption;
}

export type InteractiveElement = ButtonElement | StaticSelectElement;

export interface ImageElement {
  type: 'image';
  image_url: string;
  alt_text: string;
}

export interface HeaderBlock {
  type: 'header';
  block_id?: string;
  text: PlainText;
}

export interface SectionBlock {
  type: 'section';
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: InteractiveElement;
}

export interface ContextBlock {
  type: 'context';
  block_id?: string;
  elements: Array<TextObject | ImageElement>;
}

export interface ActionsBlock {
  type: 'actions';
  block_id?: string;
  elements: InteractiveElement[];
}

export interface DividerBlock {
  type: 'divider';
  block_id?: string;
}

export interface ImageBlock {
  type: 'image';
  block_id?: string;
  alt_text: string;
  image_url?: string;
  slack_file?: { id?: string; url?: string };
  title?: PlainText;
}

export type Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock | ImageBlock;

/** One chat message: `text` is the notification fallback, `blocks` what Slack draws. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}
