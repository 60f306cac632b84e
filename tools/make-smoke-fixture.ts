/**
 * Writes the smoke pipeline's tiny dataset (fixtures/smoke): short synthetic Chinese news titles in five classes,
 * composed from per-class word lists and shared filler words, as `text<TAB>label` files plus a `label==word` label file.
 * It is meant to be learnable but not trivially so, so that a broken stage shows in the smoke report's scores: some
 * titles borrow a phrase from another class, and some training labels are wrong.
 * Deterministic: rerunning it rewrites the same bytes.  Usage: npx tsx tools/make-smoke-fixture.ts
 */
import * as path from 'node:path';
import { Rng, writeFileAtomic } from '@distill/core';

const CLASSES: Record<string, { word: string; subjects: string[]; events: string[]; objects: string[] }> = {
  sports: {
    word: '体育',
    subjects: ['国足', '湖人队', '中国女排', '皇马', '梅西', '苏炳添', '国乒', '恒大'],
    events: ['逆转取胜', '爆冷出局', '卫冕冠军', '签下新援', '主场告负', '晋级决赛'],
    objects: ['世界杯预选赛', '季后赛', '亚洲杯', '全运会', '欧冠联赛', '奥运会'],
  },
  finance: {
    word: '财经',
    subjects: ['央行', '银保监会', '招商银行', '美联储', '外汇局', '统计局'],
    events: ['下调利率', '发布报告', '收紧信贷', '释放流动性', '公布数据', '加强监管'],
    objects: ['房贷利率', '消费贷款', '人民币汇率', '理财产品', '居民收入', '通胀预期'],
  },
  tech: {
    word: '科技',
    subjects: ['华为', '小米', '苹果', '腾讯', '谷歌', '百度'],
    events: ['发布新款', '推出测试版', '开源', '升级', '研发', '曝光'],
    objects: ['折叠屏手机', '人工智能芯片', '操作系统', '自动驾驶', '云计算平台', '5G基站'],
  },
  car: {
    word: '汽车',
    subjects: ['比亚迪', '特斯拉', '大众', '吉利', '丰田', '蔚来'],
    events: ['召回', '降价促销', '首发亮相', '公布售价', '销量大涨', '上市'],
    objects: ['纯电SUV', '混动轿车', '新能源车', '七座MPV', '自动挡车型', '续航版车型'],
  },
  edu: {
    word: '教育',
    subjects: ['教育部', '清华大学', '高考考生', '中小学', '家长', '班主任'],
    events: ['公布', '调整', '取消', '推行', '讨论', '发布'],
    objects: ['招生计划', '课后作业', '高考志愿', '双减政策', '奖学金', '研究生复试'],
  },
};
const FILLERS = ['', '', '最新消息：', '突发！', '网友热议', '官方回应', '，你怎么看？', '！', '？'];
/** the share of titles whose event or object comes from another class */
const BORROWED = 0.35;
/** the share of training rows whose label is another class's */
const TRAIN_LABEL_NOISE = 0.08;

function title(rng: Rng, c: (typeof CLASSES)[string]): string {
  const head = rng.pick(FILLERS.slice(0, 5));
  const tail = rng.pick(['', '', ...FILLERS.slice(5)]);
  const other = Object.values(CLASSES).filter((x) => x !== c);
  const lend = rng.next() < BORROWED ? rng.pick(['events', 'objects'] as const) : null;
  const part = (k: 'subjects' | 'events' | 'objects') => rng.pick(k === lend ? rng.pick(other)[k] : c[k]);
  const body = rng.next() < 0.5 ? `${part('subjects')}${part('events')}${part('objects')}` : `${part('objects')}：${part('subjects')}${part('events')}`;
  return `${head}${body}${tail}`;
}

function main(): void {
  const rng = new Rng(20261121);
  const dir = path.resolve(__dirname, '..', 'fixtures', 'smoke');
  const rows = (perClass: number) =>
    Object.entries(CLASSES).flatMap(([label, c]) => Array.from({ length: perClass }, () => `${title(rng, c)}\t${label}`));
  const labels = Object.keys(CLASSES);
  const noisy = (row: string) => {
    if (rng.next() >= TRAIN_LABEL_NOISE) return row;
    const [text, label] = row.split('\t');
    return `${text}\t${rng.pick(labels.filter((l) => l !== label))}`;
  };
  const train = rng.shuffle(rows(60)).map(noisy);
  const test = rng.shuffle(rows(16));
  writeFileAtomic(path.join(dir, 'train.tsv'), train.join('\n') + '\n');
  writeFileAtomic(path.join(dir, 'test.tsv'), test.join('\n') + '\n');
  writeFileAtomic(path.join(dir, 'labels.txt'), Object.entries(CLASSES).map(([l, c]) => `${l}==${c.word}`).join('\n') + '\n');
  const unlabeled = Object.values(CLASSES).flatMap((c) => Array.from({ length: 30 }, () => title(rng, c)));
  writeFileAtomic(path.join(dir, 'unlabeled.txt'), rng.shuffle(unlabeled).join('\n') + '\n');
}

main();
