// The sampling section's data and option plumbing, free of the DOM so that the browser tests can
// rebuild exactly the call the page makes: three toy next-token contexts (logits and zh/en words),
// the control values, and the sigmax/llm options and stage list they stand for.

import { HF_ORDER, LLAMA_CPP_ORDER, type DecodeOptions, type StageName } from '../../src/llm/index.js';
import type { Lang } from './strings.js';

export interface Context {
  id: string;
  prompt: Record<Lang, string>;
  /** One word per token id, in each language. */
  words: Record<Lang, readonly string[]>;
  /** The model's logits for the next token, one per id. */
  logits: readonly number[];
}

// The logits are made up, shaped to show different regimes: a likely word with a long tail, a flat
// field of near-equals, and one near-certain answer with a few jokes behind it. Ids run from the
// most probable down, so the table's rows and the bars read as a sorted distribution.
export const contexts: readonly Context[] = [
  {
    id: 'cat',
    prompt: { en: 'The cat sat on the …', zh: '猫坐在……上' },
    words: {
      en: ['mat', 'sofa', 'floor', 'bed', 'chair', 'roof', 'windowsill', 'table', 'box', 'keyboard', 'fence', 'grass', 'piano', 'moon'],
      zh: ['垫子', '沙发', '地板', '床', '椅子', '屋顶', '窗台', '桌子', '箱子', '键盘', '篱笆', '草地', '钢琴', '月亮'],
    },
    logits: [4.2, 3.6, 3.1, 2.9, 2.7, 2.2, 2.0, 1.8, 1.5, 1.2, 0.6, 0.3, -0.4, -1.8],
  },
  {
    id: 'fruit',
    prompt: { en: 'My favourite fruit is …', zh: '我最喜欢的水果是……' },
    words: {
      en: ['mango', 'apple', 'strawberry', 'banana', 'peach', 'grape', 'watermelon', 'cherry', 'orange', 'lychee', 'kiwi', 'durian', 'tomato', 'chocolate'],
      zh: ['芒果', '苹果', '草莓', '香蕉', '桃子', '葡萄', '西瓜', '樱桃', '橙子', '荔枝', '猕猴桃', '榴莲', '番茄', '巧克力'],
    },
    logits: [2.4, 2.35, 2.3, 2.1, 2.0, 1.9, 1.85, 1.7, 1.6, 1.3, 1.0, 0.4, -0.6, -1.2],
  },
  {
    id: 'sum',
    prompt: { en: '2 + 2 = …', zh: '2 + 2 = ……' },
    words: {
      en: ['4', 'four', '5', '3', '22', '4.0', 'fish', '42', '8', '0', '1', '?', '6', '2'],
      zh: ['4', '四', '5', '3', '22', '4.0', '鱼', '42', '8', '0', '1', '？', '6', '2'],
    },
    logits: [9.0, 5.5, 4.0, 3.6, 3.2, 3.0, 2.6, 1.8, 1.5, 1.2, 1.0, 0.8, 0.5, 0.2],
  },
];

/** What the section's controls hold. Neutral values (T = 1, topK = 0, topP = 1, …) switch a stage off. */
export interface Controls {
  order: 'llama.cpp' | 'hf';
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  typicalP: number;
  repetitionPenalty: number;
  presencePenalty: number;
  frequencyPenalty: number;
}

/** llama.cpp's suggested settings, scaled down to a 14-word vocabulary (top-k 40 would keep everything). */
export const defaultControls: Controls = {
  order: 'llama.cpp',
  temperature: 0.8,
  topK: 10,
  topP: 0.95,
  minP: 0.05,
  typicalP: 1,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
};

/** The stages this page can switch on, with whether the controls switch each one on. */
function enabled(c: Controls): Partial<Record<StageName, boolean>> {
  return {
    penalties: c.repetitionPenalty !== 1 || c.presencePenalty !== 0 || c.frequencyPenalty !== 0,
    topK: c.topK > 0,
    typicalP: c.typicalP < 1,
    topP: c.topP < 1,
    minP: c.minP > 0,
    temperature: c.temperature !== 1,
  };
}

/** The enabled stages in the chosen order: the columns of the section's table. */
export function activeStages(c: Controls): StageName[] {
  const on = enabled(c);
  return (c.order === 'hf' ? HF_ORDER : LLAMA_CPP_ORDER).filter((s) => on[s] === true);
}

/**
 * The options passed to processLogits and createSampler: only the settings that differ from
 * neutral (so the call shown on the page reads like one a user would write) and the named order;
 * with `prefix`, the order is that list of stages instead, to see the chain after each stage.
 */
export function decodeOptions(c: Controls, prefix?: readonly StageName[]): DecodeOptions {
  const o: DecodeOptions = {};
  if (c.temperature !== 1) o.temperature = c.temperature;
  if (c.topK > 0) o.topK = c.topK;
  if (c.topP < 1) o.topP = c.topP;
  if (c.minP > 0) o.minP = c.minP;
  if (c.typicalP < 1) o.typicalP = c.typicalP;
  if (c.repetitionPenalty !== 1) o.repetitionPenalty = c.repetitionPenalty;
  if (c.presencePenalty !== 0) o.presencePenalty = c.presencePenalty;
  if (c.frequencyPenalty !== 0) o.frequencyPenalty = c.frequencyPenalty;
  o.order = prefix ? [...prefix] : c.order;
  return o;
}

/** How many draws the draw button makes. */
export const DRAWS = 100;
