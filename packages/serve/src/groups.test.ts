import { modelGroups } from './stage';

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
