import { learningCurve, modelGroups } from './groups';

describe('modelGroups', () => {
  const models = [
    { name: 'student-int8', accuracy: 0.3 },
    { name: 'student-int8-split1', accuracy: 0.34 },
    { name: 'student-int8-split2', accuracy: 0.35 },
    { name: 'teacher-fp32', accuracy: 0.5 },
  ];
  it('gives each group its accuracies, mean and standard deviation', () => {
    const [g] = modelGroups({ 'student over 3 splits': ['student-int8', 'student-int8-split1', 'student-int8-split2'] }, models, 'p.yaml: stages.serve.params.groups');
    expect(g.accuracies).toEqual([0.3, 0.34, 0.35]);
    expect(g.mean).toBeCloseTo(0.33, 10);
    expect(g.std).toBeCloseTo(Math.sqrt(((0.03) ** 2 + 0.01 ** 2 + 0.02 ** 2) / 3), 10);
  });
  it('names the key and the models there are when a name is unknown', () => {
    expect(() => modelGroups({ g: ['student-int8', 'student-int8-split9'] }, models, 'p.yaml: stages.serve.params.groups')).toThrow("p.yaml: stages.serve.params.groups.g: no model 'student-int8-split9' (models: student-int8, student-int8-split1, student-int8-split2, teacher-fp32)");
  });
});

describe('learningCurve', () => {
  const models = [
    { name: 'nb-k8', accuracy: 0.2, ci95: [0.18, 0.22] as [number, number] },
    { name: 'nb-k32', accuracy: 0.3, ci95: [0.28, 0.32] as [number, number] },
    { name: 'student-k8', accuracy: 0.25 },
    { name: 'student-k32', accuracy: 0.35 },
  ];
  it('gives each method its points in x order, with accuracy and interval', () => {
    const c = learningCurve({ x_title: 'per class', methods: { nb: { '32': 'nb-k32', '8': 'nb-k8' }, student: { '8': 'student-k8', '32': 'student-k32' } } }, models, 'w');
    expect(c.x_title).toBe('per class');
    expect(c.points.map((p) => [p.method, p.x, p.accuracy])).toEqual([['nb', 8, 0.2], ['nb', 32, 0.3], ['student', 8, 0.25], ['student', 32, 0.35]]);
    expect(c.points[1].ci95).toEqual([0.28, 0.32]);
  });
  it('names the method and point of an unknown model', () => {
    expect(() => learningCurve({ x_title: 'x', methods: { nb: { '8': 'nb-k8', '16': 'nb-k16' } } }, models, 'p.yaml: stages.serve.params.learning_curve')).toThrow("p.yaml: stages.serve.params.learning_curve.methods.nb.16: no model 'nb-k16'");
  });
});
