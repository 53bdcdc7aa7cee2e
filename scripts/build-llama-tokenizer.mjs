#!/usr/bin/env node
// Builds a Hugging Face `tokenizer.json` of the Llama 1/2 tokenizer from the npm package llama-tokenizer-js (MIT),
// which embeds the real vocabulary and merges, and writes that package's own token ids for a set of texts, so that
// tests can check the Python `tokenizers` library against them. Nothing is downloaded.
//
//   node scripts/build-llama-tokenizer.mjs <out-dir> [texts.json]
//   → <out-dir>/tokenizer.json, <out-dir>/reference-ids.json ({ text, ids }[] with BOS, as the package encodes)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import llamaTokenizer from 'llama-tokenizer-js';

// The package's own test strings (see its defaultTests), and more of ours.
const PACKAGE_TEST_TEXTS = [
  'grabbed',
  ' grabbed',
  '           grabbed',
  '\n',
  ' \n',
  '\ttabs\t\t\t\tout here',
  'ax\n####\nboo',
  '镇',
  '🦙',
  '🦙Ꙋ',
  'Ꙋ🦙',
  'Hello world!',
];

const SPECIAL = ['<unk>', '<s>', '</s>'];

function tokenizerJson() {
  const vocab = {};
  llamaTokenizer.vocabById.forEach((token, id) => {
    vocab[token] = id;
  });
  if (Object.keys(vocab).length !== 32000) throw new Error(`expected 32000 tokens, found ${Object.keys(vocab).length}`);
  const merges = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    // Llama 2's "legacy" normalization: a space before the text, spaces as ▁.
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

const [outDir, textsFile] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node scripts/build-llama-tokenizer.mjs <out-dir> [texts.json]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
const texts = [...PACKAGE_TEST_TEXTS, ...(textsFile ? JSON.parse(readFileSync(textsFile, 'utf8')) : [])];
const reference = texts.map((text) => ({ text, ids: llamaTokenizer.encode(text) }));
writeFileSync(join(outDir, 'reference-ids.json'), JSON.stringify(reference));
console.log(`wrote ${join(outDir, 'tokenizer.json')} and ${reference.length} reference vectors`);
