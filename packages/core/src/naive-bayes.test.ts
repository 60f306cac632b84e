import { NaiveBayes, charNgrams } from './naive-bayes';

describe('naive Bayes baseline', () => {
  it('extracts character n-grams up to n', () => {
    expect(charNgrams('体育馆', 2)).toEqual(['体', '育', '馆', '体育', '育馆']);
  });

  it('matches a hand-computed posterior', () => {
    // two classes, unigrams, alpha 1: class 0 saw 甲甲乙 (3 tokens), class 1 saw 乙丙 (2 tokens); vocabulary 3
    const nb = NaiveBayes.train([{ id: '1', text: '甲甲乙', label: 0 }, { id: '2', text: '乙丙', label: 1 }], 2, 1, 1);
    const s = nb.scores('甲乙');
    const prior = Math.log(2 / 4); // (1 + 1) / (2 + 2) for both
    const c0 = prior + Math.log(3 / 7) + Math.log(2 / 7); // (2+1)/(3+4), (1+1)/(3+4)
    const c1 = prior + Math.log(1 / 6) + Math.log(2 / 6); // (0+1)/(2+4), (1+1)/(2+4)
    expect(s[0]).toBeCloseTo(c0, 10);
    expect(s[1]).toBeCloseTo(c1, 10);
  });

  it('classifies by characteristic characters', () => {
    const rows = [
      { id: '1', text: '足球比赛进球', label: 0 },
      { id: '2', text: '篮球比赛得分', label: 0 },
      { id: '3', text: '股票市场上涨', label: 1 },
      { id: '4', text: '银行利率下调', label: 1 },
    ];
    const nb = NaiveBayes.train(rows, 2, 2, 0.1);
    expect(nb.evaluate([{ id: 'a', text: '排球比赛', label: 0 }, { id: 'b', text: '股票利率', label: 1 }], ['sports', 'finance']).accuracy).toBe(1);
  });

  it('self-trains by EM: words seen only beside a class in unlabeled text come to indicate it', () => {
    const labeled = [
      { id: '1', text: '球赛', label: 0 },
      { id: '2', text: '股市', label: 1 },
    ];
    // 冠军 never occurs in a labeled row, only beside 球赛 in unlabeled text (and 利率 beside 股市)
    const unlabeled = ['球赛冠军', '冠军球赛', '股市利率', '利率股市'];
    const supervised = NaiveBayes.train(labeled, 2, 1, 0.5);
    const em = NaiveBayes.trainEm(labeled, unlabeled, 2, 1, 0.5, 3, 1);
    const s = supervised.scores('冠军');
    expect(s[0]).toBeCloseTo(s[1], 10); // unseen characters: no preference
    const e = em.scores('冠军');
    expect(e[0]).toBeGreaterThan(e[1] + 0.5);
    const f = em.scores('利率');
    expect(f[1]).toBeGreaterThan(f[0] + 0.5);
    // 0 rounds is the supervised model, and one-hot weights are plain training
    expect(Array.from(NaiveBayes.trainEm(labeled, unlabeled, 2, 1, 0.5, 0, 1).scores('球赛冠军'))).toEqual(Array.from(supervised.scores('球赛冠军')));
    const weighted = NaiveBayes.trainWeighted(labeled.map((r) => r.text), [Float64Array.of(1, 0), Float64Array.of(0, 1)], 2, 1, 0.5);
    expect(Array.from(weighted.scores('球市'))).toEqual(Array.from(supervised.scores('球市')));
  });
});
