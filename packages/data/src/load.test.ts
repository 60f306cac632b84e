import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkLabels, loadClue, loadLabels, loadTsv, loadUnlabeled } from './load';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'load-'));
const write = (name: string, text: string | Buffer) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};
const SRC = { text_field: 'sentence', label_field: 'label', on_error: 'fail' as const };

describe('loaders', () => {
  it('reads CLUE JSON lines', () => {
    const f = write('ok.json', '{"label": "101", "sentence": "文化新闻", "id": 7}\n{"label": 102, "sentence": "娱乐"}\n');
    expect(loadClue(f, SRC).rows).toEqual([
      { id: '7', text: '文化新闻', label: '101', line: 1 },
      { id: '2', text: '娱乐', label: '102', line: 2 },
    ]);
  });

  it('names file and line of a bad JSON line', () => {
    const f = write('bad.json', '{"label": "1", "sentence": "a"}\n{"label": "1", "sentence": \n');
    expect(() => loadClue(f, SRC)).toThrow(new RegExp(`${f}:2: invalid JSON`));
  });

  it('names file and line of a missing label field, or skips and counts it', () => {
    const f = write('nolabel.json', '{"label": "1", "sentence": "a"}\n{"sentence": "b"}\n');
    expect(() => loadClue(f, SRC)).toThrow(new RegExp(`${f}:2: missing label field 'label'`));
    const r = loadClue(f, { ...SRC, on_error: 'skip' });
    expect(r.rows).toHaveLength(1);
    expect(r.skipped).toEqual([{ file: f, line: 2, reason: "missing label field 'label'" }]);
  });

  it('names file and line of invalid UTF-8', () => {
    const f = write('latin1.tsv', Buffer.concat([Buffer.from('好\tx\n'), Buffer.from([0x63, 0xe9, 0x09, 0x78, 0x0a])]));
    expect(() => loadTsv(f, 'fail')).toThrow(new RegExp(`${f}:2: invalid UTF-8`));
  });

  it('reads text<TAB>label files and label files with verbalizers', () => {
    const f = write('d.tsv', '体育新闻\tsports\n有\t制表符\tfinance\n');
    expect(loadTsv(f, 'fail').rows.map((r) => [r.text, r.label])).toEqual([['体育新闻', 'sports'], ['有\t制表符', 'finance']]);
    const l = write('labels.txt', 'sports==体育\nfinance\n');
    expect(loadLabels(l)).toEqual([{ name: 'sports', verbalizer: '体育' }, { name: 'finance' }]);
  });

  it('reads CLUE labels.json with descriptions', () => {
    const l = write('labels.json', '{"label": "100", "label_desc": "news_story"}\n{"label": "101", "label_desc": "news_culture"}\n');
    expect(loadLabels(l)).toEqual([{ name: '100', description: 'news_story' }, { name: '101', description: 'news_culture' }]);
  });

  it('names file and line of a label missing from the label file', () => {
    const f = write('unknown.tsv', 'a\tsports\nb\tweather\n');
    const labels = [{ name: 'sports' }];
    expect(() => checkLabels(loadTsv(f, 'fail').rows, labels, f, 'fail')).toThrow(new RegExp(`${f}:2: label 'weather' is not in the label file`));
  });

  it('rejects a label listed twice', () => {
    expect(() => loadLabels(write('dup.txt', 'a\nb\na==甲\n'))).toThrow(/label 'a' is listed twice/);
  });

  it('reads unlabeled text as lines or JSON lines', () => {
    expect(loadUnlabeled(write('u.txt', '一\n\n二\n'), 'sentence').rows.map((r) => r.text)).toEqual(['一', '二']);
    expect(loadUnlabeled(write('u.json', '{"sentence": "三"}\n'), 'sentence').rows.map((r) => r.text)).toEqual(['三']);
  });
});
